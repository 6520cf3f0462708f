"""The XLSForm expression subset: parser, errors, evaluator, and property tests against an
independent reference evaluator written here."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.xlsform.expressions import (ExpressionError, evaluate, js_number, parse, references, to_text,
                                        uses_self, value_of)

EXPR_JS = Path(__file__).resolve().parent.parent / "static" / "js" / "expr.js"


def ref(n):
    return {"t": "ref", "n": n}


def lit(v):
    return {"t": "lit", "v": v}


def cmp(op, left, right):
    return {"t": "cmp", "op": op, "l": left, "r": right}


SELF = {"t": "self"}


# ---- parsing ----

@pytest.mark.parametrize("text, ast", [
    ("${a}", ref("a")),
    ("${q_1.x-y}", ref("q_1.x-y")),
    (".", SELF),
    ("'yes'", lit("yes")),
    ('"it\'s"', lit("it's")),
    ("'say \"hi\"'", lit('say "hi"')),
    ("''", lit("")),
    ("12", lit(12)),
    ("3.5", lit(3.5)),
    ("-2", lit(-2)),
    ("${a} >= -0.5", cmp(">=", ref("a"), lit(-0.5))),
    ("${a}=1", cmp("=", ref("a"), lit(1))),
    ("${a} != 'no'", cmp("!=", ref("a"), lit("no"))),
    ("${a}<${b}", cmp("<", ref("a"), ref("b"))),
    ("${a} <= 2", cmp("<=", ref("a"), lit(2))),
    ("${a} > '2024-01-31'", cmp(">", ref("a"), lit("2024-01-31"))),
    ("true()", {"t": "fn", "f": "true", "a": []}),
    ("false( )", {"t": "fn", "f": "false", "a": []}),
    ("not(${a} = 'yes')", {"t": "not", "a": cmp("=", ref("a"), lit("yes"))}),
    ("not (.)", {"t": "not", "a": SELF}),
    ("count-selected(${m})", {"t": "fn", "f": "count-selected", "a": [ref("m")]}),
    ("selected(${m}, 'a')", {"t": "fn", "f": "selected", "a": [ref("m"), lit("a")]}),
    ("${a} or ${b} and ${c}", {"t": "or", "a": [ref("a"), {"t": "and", "a": [ref("b"), ref("c")]}]}),
    ("${a} and ${b} or ${c}", {"t": "or", "a": [{"t": "and", "a": [ref("a"), ref("b")]}, ref("c")]}),
    ("${a} and ${b} and ${c} and .", {"t": "and", "a": [ref("a"), ref("b"), ref("c"), SELF]}),
    ("${a} or ${b} or ${c}", {"t": "or", "a": [ref("a"), ref("b"), ref("c")]}),
    ("(${a} or ${b}) and ${c}", {"t": "and", "a": [{"t": "or", "a": [ref("a"), ref("b")]}, ref("c")]}),
    ("${a} and (${b} and ${c})", {"t": "and", "a": [ref("a"), {"t": "and", "a": [ref("b"), ref("c")]}]}),
    ("(((${a})))", ref("a")),
    ("((${a} = 1) = (${b} = 2))", cmp("=", cmp("=", ref("a"), lit(1)), cmp("=", ref("b"), lit(2)))),
    ("  \t${a}\n=\r\n'x'  ", cmp("=", ref("a"), lit("x"))),
    ("${a}\u3000=\u30001", cmp("=", ref("a"), lit(1))),
    (". >= 0 and . <= 100", {"t": "and", "a": [cmp(">=", SELF, lit(0)), cmp("<=", SELF, lit(100))]}),
    ("selected(${q1}, 'a') and count-selected(${q2}) > 1",
     {"t": "and", "a": [{"t": "fn", "f": "selected", "a": [ref("q1"), lit("a")]},
                        cmp(">", {"t": "fn", "f": "count-selected", "a": [ref("q2")]}, lit(1))]}),
])
def test_parse(text, ast):
    assert parse(text) == ast
    assert parse(to_text(ast)) == ast


def test_numbers_keep_their_type():
    assert type(parse("12")["v"]) is int
    assert type(parse("3.0")["v"]) is float
    assert parse("-2")["v"] == -2


def test_ast_is_json():
    ast = parse("not(selected(${m}, 'a')) or count-selected(${m}) >= 2 and . != ''")
    assert json.loads(json.dumps(ast)) == ast


@pytest.mark.parametrize("text, message, position", [
    ("", "表达式不能为空", None),
    ("   \n ", "表达式不能为空", None),
    ("(${a} = 1", "第 10 个字符处缺少右括号", 9),
    ("selected(${a}, 'x'", "第 19 个字符处缺少右括号", 18),
    ("${a} = 1)", "第 9 个字符处多了一个右括号", 8),
    ("string-length(${a}) > 3", "第 1 个字符处有不支持的函数 string-length", 0),
    ("${a} =", "第 7 个字符处缺少运算对象，表达式不完整", 6),
    ("${a} and", "第 9 个字符处缺少运算对象，表达式不完整", 8),
    ("or ${a}", "第 1 个字符处缺少运算对象，不能是 “or”", 0),
    ("${a} = and ${b}", "第 8 个字符处缺少运算对象，不能是 “and”", 7),
    ("${a} = ${b} = ${c}", "第 13 个字符处比较运算不能连用，请用 and 连接两个比较", 12),
    ("a = b = c", "第 1 个字符处的 “a” 无法识别，引用题目请写成 ${a}", 0),
    ("${a} = #", "第 8 个字符处有无法识别的字符 “#”", 7),
    ("${a} （", "第 6 个字符处有无法识别的字符 “（”（请使用英文半角符号）", 5),
    ("${a} + 1", "第 6 个字符处有不支持的运算符 “+”", 5),
    ("${a} -1", "第 6 个字符处有不支持的运算符 “-”", 5),
    ("${1a} = 1", "第 1 个字符处的引用格式不正确，应写成 ${题目名称}", 0),
    ("${a b}", "第 1 个字符处的引用格式不正确，应写成 ${题目名称}", 0),
    ("${}", "第 1 个字符处的引用格式不正确，应写成 ${题目名称}", 0),
    ("1 = ${a", "第 5 个字符处的引用格式不正确，应写成 ${题目名称}", 4),
    ("'abc", "第 1 个字符处的字符串缺少结束引号", 0),
    ("${a} ${b}", "第 6 个字符处缺少运算符（如 =、and、or），“${b}” 不能紧跟在前一个值后面", 5),
    ("${a}, ${b}", "第 5 个字符处的逗号只能用在函数的参数之间", 4),
    ("${a} = 1 AND ${b} = 2", "第 10 个字符处的 “AND” 应写成小写 and", 9),
    ("not ${a}", "第 1 个字符处的函数 not 后面缺少括号", 0),
    ("selected(${a})", "第 1 个字符处的函数 selected 需要 2 个参数，实际有 1 个", 0),
    ("true(1)", "第 1 个字符处的函数 true 需要 0 个参数，实际有 1 个", 0),
    ("1" * 400, "第 1 个字符处的数字过大", 0),
    ("__import__('os')", "第 1 个字符处有不支持的函数 __import__", 0),
    ("eval('1+1')", "第 1 个字符处有不支持的函数 eval", 0),
    ("exec(\"import os\")", "第 1 个字符处有不支持的函数 exec", 0),
    ("${a}.__class__", "第 5 个字符处缺少运算符（如 =、and、or），“.” 不能紧跟在前一个值后面", 4),
    ("''.join([])", "第 3 个字符处缺少运算符（如 =、and、or），“.” 不能紧跟在前一个值后面", 2),
    ("[x for x in ()]", "第 1 个字符处有无法识别的字符 “[”", 0),
])
def test_parse_errors(text, message, position):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.message == message
    assert str(info.value) == message
    assert info.value.position == position
    assert isinstance(info.value, ValueError)


def test_too_long():
    text = "${a} = 1 and " * 80 + "${a} = 1"
    assert len(text) > 1000
    with pytest.raises(ExpressionError, match="^表达式过长（最多 1000 个字符）$"):
        parse(text)
    assert parse(text[:1000].rsplit(" and ", 1)[0])["t"] == "and"


@pytest.mark.parametrize("text", ["(" * 200 + "1" + ")" * 200, "not(" * 60 + "1" + ")" * 60,
                                  "${a} = (" * 60 + "1" + ")" * 60, "(" * 999])
def test_too_deep_is_an_expression_error(text):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert "嵌套过深（最多 50 层括号）" in info.value.message
    assert info.value.position is not None


def test_fifty_levels_are_allowed():
    ast = parse("(" * 50 + "${a}" + ")" * 50)
    assert ast == ref("a")
    ast = parse("not(" * 50 + "${a}" + ")" * 50)
    assert evaluate(ast, {"a": "x"}) is True


def test_references_and_uses_self():
    ast = parse("selected(${m}, ${n}) or not(. = ${a}) and count-selected(${m}) > 0")
    assert references(ast) == {"m", "n", "a"}
    assert uses_self(ast) is True
    assert references(parse("'${a}' = 1")) == set()
    assert uses_self(parse("${a} = '.'")) is False
    assert references(parse(".")) == set()


# ---- evaluation ----

@pytest.mark.parametrize("text, answers, self_value, expected", [
    ("${a} = 12", {"a": "12"}, None, True),
    ("${a} = 12", {"a": " 12.0 "}, None, True),
    ("${a} > 9", {"a": "10"}, None, True),             # numeric, not "10" < "9"
    ("${a} > ${b}", {"a": "10", "b": "9"}, None, True),
    ("${a} > ${b}", {"a": "10", "b": "9x"}, None, False),  # string order
    ("${a} = 100000", {"a": "1e5"}, None, False),        # exponents are not numbers
    ("${a} = 1", {"a": "0x1"}, None, False),
    ("${a} < -1", {"a": -2.5}, None, True),
    ("${a} = 3", {"a": 3.0}, None, True),
    ("${a} = 3", {}, None, False),                       # unanswered vs number
    ("${a} != 3", {"a": None}, None, True),
    ("${a} < 3", {"a": ""}, None, False),
    ("${a} >= 3", {"a": ""}, None, False),
    ("${a} = ''", {}, None, True),
    ("${a} != ''", {"a": "x"}, None, True),
    ("${a} = 'yes'", {"a": "yes"}, None, True),
    ("${a} = 'yes'", {"a": "Yes"}, None, False),
    ("${a} < 'b'", {"a": "B"}, None, True),              # code point order
    ("${d} >= '2024-01-01'", {"d": "2024-01-31"}, None, True),
    ("${d} < '2024-01-01'", {"d": "2023-12-31"}, None, True),
    ("${d} > ${e}", {"d": "2024-02-01", "e": "2024-10-01"}, None, False),
    ("${m} = 'a b'", {"m": ["a", "b"]}, None, True),
    ("${m} = 2", {"m": ["2"]}, None, True),
    ("${m} = ''", {"m": []}, None, True),
    ("${m}", {"m": []}, None, False),
    ("${m}", {"m": ["x"]}, None, True),
    ("${a}", {"a": 0}, None, False),
    ("${a}", {"a": "0"}, None, True),                    # a non-empty string
    ("${a} and ${b}", {"a": "x", "b": ""}, None, False),
    ("${a} or ${b}", {"a": "", "b": 0.5}, None, True),
    ("not(${a})", {}, None, True),
    ("selected(${m}, 'b')", {"m": ["a", "b"]}, None, True),
    ("selected(${m}, 'c')", {"m": ["a", "b"]}, None, False),
    ("selected(${m}, 'b')", {"m": " a\tb "}, None, True),
    ("selected(${m}, 'a b')", {"m": ["a b"]}, None, True),
    ("selected(${m}, 3)", {"m": ["3"]}, None, True),
    ("selected(${m}, 3.0)", {"m": "1 3"}, None, True),
    ("selected(${m}, 3.5)", {"m": ["3.5"]}, None, True),
    ("selected(${m}, ${n})", {"m": ["1e-7"], "n": 1e-7}, None, True),
    ("selected(${m}, 'a')", {}, None, False),
    ("count-selected(${m}) = 3", {"m": ["a", "b", "c"]}, None, True),
    ("count-selected(${m}) = 2", {"m": "a  b "}, None, True),
    ("count-selected(${m}) = 0", {"m": ""}, None, True),
    ("count-selected(${m}) = 0", {}, None, True),
    ("count-selected(${m})", {"m": []}, None, False),
    (". >= 0 and . <= 100", {}, 50, True),
    (". >= 0 and . <= 100", {}, "101", False),
    (". >= 0 and . <= 100", {}, None, False),
    (". = ''", {}, None, True),
    ("true() and not(false())", {}, None, True),
    ("(${a} = 1) = true()", {"a": 1}, None, True),
    ("${a} = true()", {"a": "x"}, None, True),           # boolean comparison: both sides as booleans
    ("${a} = false()", {"a": 0}, None, True),
    ("true() > false()", {}, None, True),
    ("not(${a} = 'yes') or ${b} > 5", {"a": "yes", "b": 6}, None, True),
])
def test_evaluate(text, answers, self_value, expected):
    assert evaluate(parse(text), answers, self_value) is expected


def test_value_of():
    assert value_of(parse("count-selected(${m})"), {"m": ["a", "b"]}) == 2
    assert value_of(parse("${m}"), {"m": ["a"]}) == ["a"]
    assert value_of(parse("${m}"), {}) == ""
    assert value_of(parse("."), {}, 7) == 7


def test_evaluate_answers_may_be_none():
    assert evaluate(parse("${a} = ''"), None) is True


def test_nan_is_false_and_tuples_are_lists():
    assert evaluate(parse("${a}"), {"a": math.nan}) is False
    assert evaluate(parse("${a} != ${a}"), {"a": math.nan}) is True
    assert evaluate(parse("selected(${m}, 'a b') and count-selected(${m}) = 1"), {"m": ("a b",)}) is True


@pytest.mark.parametrize("number, text", [
    (3, "3"), (3.0, "3"), (3.5, "3.5"), (-0.0, "0"), (0.1 + 0.2, "0.30000000000000004"),
    (1e21, "1e+21"), (1e20, "100000000000000000000"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"),
    (1e-6, "0.000001"), (123456789012345678901, "123456789012345680000"), (2 ** 53 + 1, "9007199254740992"),
    (-1.5e300, "-1.5e+300"), (math.inf, "Infinity"), (math.nan, "NaN"), (123.456, "123.456"),
])
def test_js_number(number, text):
    assert js_number(number) == text


def test_to_text_refuses_unrepresentable_literals():
    with pytest.raises(ValueError):
        to_text(lit("both ' and \""))
    with pytest.raises(ValueError):
        to_text(lit(math.nan))


def test_expr_js_is_es5():
    source = EXPR_JS.read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*", "", source)
    assert not re.search(r"=>|\blet\b|\bconst\b|`|\bclass\b|\bimport\b|\bexport\b", code)
    assert "window.SurveyExpr" in code and "eval(" not in code and "Function(" not in code


# ---- property tests ----

NAMES = ["a", "b", "q_1", "x.y", "m-2"]
TEXT = st.text(alphabet="ab 0123.-_'\"是", max_size=5).filter(lambda s: not ("'" in s and '"' in s))
NUMBERS = st.integers(-50, 50) | st.integers(-400, 400).map(lambda n: n / 4)
LEAVES = (NUMBERS.map(lit) | TEXT.map(lit) | st.sampled_from(NAMES).map(ref) | st.just(SELF)
          | st.sampled_from(["true", "false"]).map(lambda f: {"t": "fn", "f": f, "a": []}))


def _extend(children):
    return (st.builds(cmp, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), children, children)
            | st.builds(lambda a: {"t": "and", "a": a}, st.lists(children, min_size=2, max_size=3))
            | st.builds(lambda a: {"t": "or", "a": a}, st.lists(children, min_size=2, max_size=3))
            | st.builds(lambda a: {"t": "not", "a": a}, children)
            | st.builds(lambda a, b: {"t": "fn", "f": "selected", "a": [a, b]}, children, children)
            | st.builds(lambda a: {"t": "fn", "f": "count-selected", "a": [a]}, children))


ASTS = st.recursive(LEAVES, _extend, max_leaves=12)
VALUES = (st.none() | NUMBERS | TEXT | st.sampled_from(["", " 12 ", "3.50", "-2", "1e5", "yes", "2024-01-31",
                                                         "2023-12-01", "a b"])
          | st.lists(st.sampled_from(["a", "b", "0", "2", "yes"]), max_size=3))
ANSWERS = st.dictionaries(st.sampled_from(NAMES), VALUES)


def _ref_kind(v):
    """Reference semantics: classify a normalised value."""
    if isinstance(v, bool):
        return "bool", v
    if isinstance(v, (int, float)):
        return "num", float(v)
    if isinstance(v, list):
        v = " ".join(v)
    stripped = v.strip(" \t\n\r\f\v")
    if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", stripped):
        return "num", float(stripped)
    return "str", v


def _ref_str(v):
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):  # only small ints and quarters are generated
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    return " ".join(v) if isinstance(v, list) else v


def _ref_bool(v):
    if isinstance(v, float) and v != v:
        return False
    return bool(v)


def _ref_compare(op, left, right):
    ops = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
    (lk, lv), (rk, rv) = _ref_kind(left), _ref_kind(right)
    if "bool" in (lk, rk):
        return ops[op](int(_ref_bool(left)), int(_ref_bool(right)))
    if lk == rk == "num":
        return ops[op](lv, rv)
    if (lv == "" and rk == "num") or (rv == "" and lk == "num"):
        return op == "!="
    return ops[op](_ref_str(left), _ref_str(right))


def _ref_items(v):
    return [_ref_str(x) for x in v] if isinstance(v, list) else _ref_str(v).split()


def reference_value(ast, answers, me):
    t = ast["t"]
    if t == "lit":
        return ast["v"]
    if t in ("ref", "self"):
        v = answers.get(ast["n"]) if t == "ref" else me
        return "" if v is None else v
    sub = [reference_value(x, answers, me) for x in ([ast["l"], ast["r"]] if t == "cmp"
                                                     else [ast["a"]] if t == "not" else ast["a"])]
    if t == "cmp":
        return _ref_compare(ast["op"], *sub)
    if t in ("and", "or"):
        return (all if t == "and" else any)(_ref_bool(x) for x in sub)
    if t == "not":
        return not _ref_bool(sub[0])
    return {"true": lambda: True, "false": lambda: False,
            "selected": lambda: _ref_str(sub[1]) in _ref_items(sub[0]),
            "count-selected": lambda: len(_ref_items(sub[0]))}[ast["f"]]()


@settings(max_examples=400, deadline=None)
@given(ASTS)
def test_round_trip(ast):
    text = to_text(ast)
    parsed = parse(text)
    assert json.dumps(parsed, sort_keys=True) == json.dumps(ast, sort_keys=True), text


@settings(max_examples=600, deadline=None)
@given(ASTS, ANSWERS, VALUES)
def test_evaluate_matches_reference(ast, answers, me):
    parsed = parse(to_text(ast))
    assert evaluate(parsed, answers, me) is _ref_bool(reference_value(ast, answers, me))


@settings(max_examples=200, deadline=None)
@given(ASTS)
def test_references_match_the_text(ast):
    text = to_text(ast)
    assert references(parse(text)) == {n for n in NAMES if "${" + n + "}" in text}
