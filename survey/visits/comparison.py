"""自查 vs 督导: a unit's self-check beside what the visit found, item by item.

The matching rule (also in the README):

1. **Items** are the self-check's check items: every 是/否/不适用 question, and every closed question with
   a problem rule (a risk scan, a self-assessed score). The on-site form repeats the six 六型 sections'
   items under the same question names (p1, l3, ...), so a visit's problem that was raised by — or
   recorded against — the question of the same name belongs to that item.
2. Every other problem (free-text findings per section, 察言观色 items, problems added by hand) belongs
   to its **category**: under the self-check section of that title (政治机关 … 效能型机关) as
   "本部分其他发现", or to a row of its own for the other categories (作风建设, 制度建设, 其他, …).
   The self-check's own problems that are not tied to an item (e.g. 自查发现的其他问题, 其他) are matched
   the same way.
3. The self-check **revealed** an item when it answered it so that a problem is raised (否, 未全面排查,
   a score under 6) or raised a problem on it; a category row when the self-check raised a problem of
   that category outside the items. Anything else — 是, 不适用, left empty — is "compliant" for this
   comparison.
4. **自查未发现、督导发现**: a row where the visit recorded at least one problem (not 撤销) and the
   self-check revealed nothing. Counted both as rows (items) and as problems; the ranking uses problems.
   Only when both the self-check and the visit are submitted: before that nothing is counted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from survey.ledger.categories import names as category_names
from survey.models import Problem, ProblemStatus, Round, Submission
from survey.questionnaires.cache import QuestionView, VersionView, version_view
from survey.visits import display, queries

OTHER_SECTION = "其他类别"


@dataclass
class Row:
    label: str
    name: str = ""                       # the item's question name; '' for a category row
    question: QuestionView | None = None         # the self-check's item
    visit_question: QuestionView | None = None   # the on-site form's item of the same name, if any
    self_value: object = None
    visit_value: object = None
    self_raised: bool = False            # the self-check's answer raises a problem (否 …)
    self_problems: list = field(default_factory=list)
    visit_problems: list = field(default_factory=list)
    comparable: bool = False
    anchor: str = ""                     # the row's id in the page
    section: str = ""                    # the group the row is shown in

    @property
    def self_text(self) -> str:
        return display.answer_text(self.question, self.self_value) if self.question else ""

    @property
    def visit_text(self) -> str | None:
        """The visit's answer in words; None when the on-site form has no item of this name."""
        return display.answer_text(self.visit_question, self.visit_value) if self.visit_question else None

    @property
    def self_revealed(self) -> bool:
        return self.self_raised or bool(self.self_problems)

    @property
    def hidden(self) -> bool:
        """自查未发现、督导发现."""
        return self.comparable and bool(self.visit_problems) and not self.self_revealed


@dataclass
class Comparison:
    self_check: Submission | None
    visit: Submission | None
    groups: list[tuple[str, list[Row]]]

    @property
    def self_submitted(self) -> bool:
        return bool(self.self_check and self.self_check.is_submitted)

    @property
    def visit_submitted(self) -> bool:
        return bool(self.visit and self.visit.is_submitted)

    @property
    def complete(self) -> bool:
        return self.self_submitted and self.visit_submitted

    @property
    def hidden_list(self) -> list[Row]:
        return [row for row in self.rows if row.hidden]

    @property
    def rows(self) -> list[Row]:
        return [row for _, rows in self.groups for row in rows]

    @property
    def hidden_rows(self) -> int:
        return len(self.hidden_list)

    @property
    def hidden_problems(self) -> int:
        return sum(len(row.visit_problems) for row in self.rows if row.hidden)

    @property
    def visit_total(self) -> int:
        return sum(len(row.visit_problems) for row in self.rows)

    @property
    def self_total(self) -> int:
        return sum(len(row.self_problems) for row in self.rows)


def _submitted(sub: Submission | None) -> dict:
    return sub.answers if sub is not None and sub.is_submitted else {}


def _split(problems: list[Problem], submission: Submission | None, items: set[str]):
    """The submission's problems by item name, and the rest by category."""
    by_item: dict[str, list[Problem]] = {}
    by_category: dict[str, list[Problem]] = {}
    if submission is None:
        return by_item, by_category
    for p in problems:
        if p.submission_id != submission.id or (submission.kind == "visit" and p.status == ProblemStatus.CANCELLED):
            continue
        if p.question_name in items:
            by_item.setdefault(p.question_name, []).append(p)
        else:
            by_category.setdefault(p.category, []).append(p)
    return by_item, by_category


def _item_row(q, own: dict, visit: dict, onsite: dict, self_by: dict, visit_by: dict,
              comparable: bool) -> Row:
    return Row(label=q.label, name=q.name, question=q, visit_question=onsite.get(q.name),
               self_value=own.get(q.name), visit_value=visit.get(q.name),
               self_raised=display.raises_problem(q, own), self_problems=self_by.get(q.name, []),
               visit_problems=visit_by.get(q.name, []), comparable=comparable)


def _category_row(label: str, category: str, self_cat: dict, visit_cat: dict, comparable: bool) -> Row | None:
    mine, theirs = self_cat.pop(category, []), visit_cat.pop(category, [])
    if not mine and not theirs:
        return None
    return Row(label=label, self_problems=mine, visit_problems=theirs, comparable=comparable)


def compare(self_version: VersionView, onsite_version: VersionView, self_sub: Submission | None,
            visit_sub: Submission | None, problems: list[Problem], categories: list[str]) -> Comparison:
    """The comparison from loaded rows, without queries (see the module's rule); categories gives
    the order of the rows for categories that are not a self-check section."""
    result = Comparison(self_sub, visit_sub, [])
    comparable = result.complete
    items = {q.name for q in self_version.questions if display.is_item(q)}
    self_by, self_cat = _split(problems, self_sub, items)
    visit_by, visit_cat = _split(problems, visit_sub, items)
    own, visit = _submitted(self_sub), _submitted(visit_sub)
    onsite = {q.name: q for q in onsite_version.questions}
    for section in self_version.sections:
        rows = [_item_row(q, own, visit, onsite, self_by, visit_by, comparable)
                for q in section.questions if display.is_item(q)]
        extra = _category_row("本部分其他发现", section.title, self_cat, visit_cat, comparable)
        rows += [extra] if extra else []
        if rows:
            result.groups.append((section.title, rows))
    order = {name: i for i, name in enumerate(categories)}
    rest = [_category_row(c, c, self_cat, visit_cat, comparable)
            for c in sorted(set(self_cat) | set(visit_cat), key=lambda c: (order.get(c, len(order)), c))]
    if rest:
        result.groups.append((OTHER_SECTION, rest))
    for i, (title, row) in enumerate(((t, r) for t, rows in result.groups for r in rows), 1):
        row.anchor, row.section = f"item-{i}", title
    return result


def compare_unit(rnd: Round, unit_id: int) -> Comparison:
    subs = queries.submissions(rnd.id, [unit_id])
    self_sub, visit_sub = subs.get((unit_id, "self_check")), subs.get((unit_id, "visit"))
    problems = queries.problems_of([s.id for s in (self_sub, visit_sub) if s is not None])
    return compare(version_view(rnd.self_check_version_id), version_view(rnd.onsite_version_id),
                   self_sub, visit_sub, problems, category_names(active_only=False))


def round_ranking(rnd: Round, scope: list) -> list[tuple]:
    """(round unit, comparison) for each unit of scope, worst first: the most problems the visit found
    that the self-check did not reveal; units not yet both submitted and visited come last."""
    subs = queries.submissions(rnd.id, [s.unit_id for s in scope])
    by_sub: dict[int, list[Problem]] = {}
    for p in queries.problems_of([s.id for s in subs.values()]):
        by_sub.setdefault(p.submission_id, []).append(p)
    self_version = version_view(rnd.self_check_version_id)
    onsite_version = version_view(rnd.onsite_version_id)
    categories = category_names(active_only=False)
    ranked = []
    for s in scope:
        own, visit = subs.get((s.unit_id, "self_check")), subs.get((s.unit_id, "visit"))
        problems = [p for sub in (own, visit) if sub is not None for p in by_sub.get(sub.id, [])]
        ranked.append((s, compare(self_version, onsite_version, own, visit, problems, categories)))
    ranked.sort(key=lambda r: (not r[1].complete, -r[1].hidden_problems, -r[1].hidden_rows,
                               -r[1].visit_total, r[0].unit_id))
    return ranked
