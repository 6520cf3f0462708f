"""static/js/expr.js in Chromium gives the same results as the Python evaluator on a fixed,
seeded corpus of expressions and answers."""
from __future__ import annotations

import json
import random
from pathlib import Path

from survey.xlsform.expressions import evaluate, parse, to_text, value_of

EXPR_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "expr.js"
CASES = 600
NAMES = ["a", "b", "n", "m", "d", "x.y", "q-1"]
NUMBERS = [0, 1, -2, 3, 12, 100, 3.5, -0.5, 3.0, 0.1 + 0.2, 1e21, 1e-7, 1.5e-7, 2 ** 53 + 1, 123456.789]
STRINGS = ["", "yes", "no", "na", "a", "b", "a b", "B", "abc", "是", "中文", "😀", "\uff5e", "12", " 12 ", "3.50",
           "-2", "1e5", "0x1", "12abc", "3.", "٣", "0.30000000000000004", "1e-7", "2024-01-31", "2023-12-01",
           "2024-10-01", "true", "3"]
LISTS = [[], ["a"], ["a", "b"], ["b", "yes"], ["1", "2"], ["3"], ["3.5", "x"], ["😀", "\uff5e"]]


def random_value(rng: random.Random):
    kind = rng.random()
    if kind < 0.12:
        return None
    if kind < 0.4:
        return rng.choice(NUMBERS)
    if kind < 0.8:
        return rng.choice(STRINGS)
    return list(rng.choice(LISTS))


def random_literal(rng: random.Random) -> dict:
    return {"t": "lit", "v": rng.choice(NUMBERS if rng.random() < 0.45 else STRINGS)}


def random_leaf(rng: random.Random) -> dict:
    kind = rng.random()
    if kind < 0.45:
        return {"t": "ref", "n": rng.choice(NAMES)}
    if kind < 0.55:
        return {"t": "self"}
    if kind < 0.62:
        return {"t": "fn", "f": rng.choice(["true", "false"]), "a": []}
    return random_literal(rng)


def random_ast(rng: random.Random, depth: int) -> dict:
    if depth <= 0 or rng.random() < 0.2:
        return random_leaf(rng)
    kind = rng.randrange(8)
    sub = lambda: random_ast(rng, depth - 1)  # noqa: E731
    if kind < 3:
        return {"t": "cmp", "op": rng.choice(["=", "!=", "<", "<=", ">", ">="]), "l": sub(), "r": sub()}
    if kind == 3:
        return {"t": rng.choice(["and", "or"]), "a": [sub() for _ in range(rng.randint(2, 3))]}
    if kind == 4:
        return {"t": "not", "a": sub()}
    if kind == 5:
        return {"t": "fn", "f": "selected", "a": [sub(), sub() if rng.random() < 0.3 else random_literal(rng)]}
    if kind == 6:
        return {"t": "fn", "f": "count-selected", "a": [sub()]}
    return {"t": "cmp", "op": rng.choice([">", "=", "<="]),
            "l": {"t": "fn", "f": "count-selected", "a": [{"t": "ref", "n": rng.choice(NAMES)}]},
            "r": {"t": "lit", "v": rng.randint(0, 3)}}


# Every pair of these meets every comparison, selected() and count-selected() (see pair_cases).
EDGES = [None, "", 0, 3, 3.5, -0.5, 1e21, "3", " 3.0 ", "3.", "1e5", "100000", "0x1", "٣", "abc", "B", "b", "a b",
         "😀", "\uff5e", "2024-01-31", "2024-10-01", "true", [], ["3"], ["a", "b"], ["b"]]


def pair_cases() -> list[dict]:
    ref_a, ref_b = {"t": "ref", "n": "a"}, {"t": "ref", "n": "b"}
    asts = [{"t": "cmp", "op": op, "l": ref_a, "r": ref_b} for op in ("=", "!=", "<", "<=", ">", ">=")]
    asts += [{"t": "fn", "f": "selected", "a": [ref_a, ref_b]}, {"t": "fn", "f": "count-selected", "a": [ref_a]}]
    return [{"ast": ast, "answers": {"a": a, "b": b}, "self": None} for ast in asts for a in EDGES for b in EDGES]


def corpus() -> list[dict]:
    rng = random.Random(1234)
    cases = []
    for _ in range(CASES):
        answers = {name: random_value(rng) for name in NAMES if rng.random() < 0.8}
        cases.append({"ast": random_ast(rng, rng.randint(1, 4)), "answers": answers, "self": random_value(rng)})
    return cases + pair_cases()


def as_js(v):
    """What a value looks like after the trip through JSON into JavaScript numbers."""
    if isinstance(v, list):
        return [as_js(x) for x in v]
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def test_corpus_is_made_of_parsable_expressions():
    for case in corpus():
        assert parse(to_text(case["ast"])) == case["ast"]


def test_js_evaluator_matches_python(browser):
    cases = corpus()
    expected = [[evaluate(c["ast"], c["answers"], c["self"]), as_js(value_of(c["ast"], c["answers"], c["self"]))]
                for c in cases]
    outcomes = [e[0] for e in expected]
    assert min(outcomes.count(True), outcomes.count(False)) > len(cases) // 5, "corpus is too one-sided"
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto("about:blank")
        page.add_script_tag(content=EXPR_JS.read_text(encoding="utf-8"))
        actual = page.evaluate("cases => cases.map(c => [SurveyExpr.evaluate(c.ast, c.answers, c.self),"
                               " SurveyExpr.value(c.ast, c.answers, c.self)])", cases)
    finally:
        context.close()
    assert len(actual) == len(cases)
    for i, (case, want, got) in enumerate(zip(cases, expected, actual)):
        assert got == want, (f"case {i}: {to_text(case['ast'])}\nanswers={json.dumps(case['answers'], ensure_ascii=False)}"
                             f" self={case['self']!r}\npython={want} javascript={got}")
