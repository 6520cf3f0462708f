"""The 问诊报告: one visit, printable (after the visit)."""
from __future__ import annotations

from dataclasses import dataclass

from survey.models import Problem, Round, RoundUnit, Submission, User
from survey.questionnaires.cache import version_view
from survey.visits import display, queries
from survey.visits.comparison import Comparison, compare_unit


@dataclass
class Report:
    scope: RoundUnit
    visit: Submission | None
    sections: list
    members: list[User]
    problems: list[Problem]
    dropped: list[dict]
    comparison: Comparison
    linkable: set[int]

    @property
    def unit(self):
        return self.scope.unit

    @property
    def title(self) -> str:
        return f"{self.scope.unit.name}上门问诊报告"

    @property
    def photo_count(self) -> int:
        return sum(len(a.photos) for _, answers in self.sections for a in answers)


def build_report(rnd: Round, scope: RoundUnit, user: User) -> Report:
    visit = queries.submissions(rnd.id, [scope.unit_id]).get((scope.unit_id, "visit"))
    if visit is None:
        return Report(scope, None, [], [], [], [], compare_unit(rnd, scope.unit_id), set())
    photos = display.photos_by_question(visit.id)
    sections = display.sections(version_view(visit.version_id), visit.answers, photos)
    dropped = [item for item in visit.found or [] if item.get("dropped")] if visit.is_submitted else []
    problems = queries.problems_of([visit.id])
    return Report(scope=scope, visit=visit, sections=sections,
                  members=queries.users_by_ids((visit.facts or {}).get("member_ids")),
                  problems=problems, dropped=dropped, comparison=compare_unit(rnd, scope.unit_id),
                  linkable=queries.visible_problem_ids(user, problems))
