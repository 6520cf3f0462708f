"""The 问诊 pack: what an inspector reads on the way to a unit (before the visit)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from survey.ledger.rules import warning
from survey.models import Problem, Round, RoundUnit, Submission, User
from survey.questionnaires.cache import VersionView, version_view
from survey.visits import display, queries


@dataclass(frozen=True)
class Gap:
    section: str
    label: str
    text: str          # the answer (否, 部分排查, 4 分) or '未作答'
    kind: str          # "no": the answer raises a problem; "empty": not answered


@dataclass
class Pack:
    scope: RoundUnit
    self_check: Submission | None
    visit: Submission | None
    sections: list
    gaps: list[Gap]
    own_problems: list[Problem]
    earlier: list[Problem]
    overdue_ids: set[int]
    previous: Submission | None
    previous_problems: list[Problem]
    liaisons: list[User]
    linkable: set[int] = field(default_factory=set)

    @property
    def unit(self):
        return self.scope.unit

    @property
    def no_count(self) -> int:
        return sum(1 for g in self.gaps if g.kind == "no")

    @property
    def empty_count(self) -> int:
        return sum(1 for g in self.gaps if g.kind == "empty")


def gaps(version: VersionView, answers: dict) -> list[Gap]:
    """The check items the self-check answered so that a problem is raised, or left empty
    (items that relevance hides are not gaps)."""
    found = []
    for section in version.sections:
        for q in section.questions:
            if not display.is_item(q) or not display.shown(section, q, answers):
                continue
            if display.is_empty(answers.get(q.name)):
                found.append(Gap(section.title, q.label, "未作答", "empty"))
            elif display.raises_problem(q, answers):
                found.append(Gap(section.title, q.label, display.answer_text(q, answers[q.name]), "no"))
    return found


def build_pack(rnd: Round, scope: RoundUnit, user: User, today: date) -> Pack:
    subs = queries.submissions(rnd.id, [scope.unit_id])
    own, visit = subs.get((scope.unit_id, "self_check")), subs.get((scope.unit_id, "visit"))
    earlier = queries.earlier_open_problems(scope.unit_id, rnd.id)
    previous = queries.last_visit(rnd, scope.unit_id)
    pack = Pack(scope=scope, self_check=own, visit=visit, sections=[], gaps=[], own_problems=[],
                earlier=earlier, overdue_ids={p.id for p in earlier if warning(p, today) == "red"},
                previous=previous, previous_problems=queries.problems_of([previous.id] if previous else []),
                liaisons=queries.liaisons(scope.unit_id))
    if own is not None:
        version = version_view(own.version_id)
        pack.sections = display.sections(version, own.answers, display.photos_by_question(own.id))
        pack.gaps = gaps(version, own.answers)
        pack.own_problems = queries.problems_of([own.id])
    pack.linkable = queries.visible_problem_ids(user, pack.own_problems + earlier + pack.previous_problems)
    return pack
