"""Answers as people read them: labels instead of codes, units, photos by question, relevance.

Shared by the comparison, the 问诊 pack and the 问诊报告; the templates only print what is here."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from survey.extensions import db
from survey.models import Photo
from survey.questionnaires.cache import QuestionView, SectionView, VersionView
from survey.questionnaires.display import answer_text, is_empty  # noqa: F401 (re-exported)
from survey.xlsform.expressions import evaluate


@dataclass(frozen=True)
class Answer:
    """One question of a submission, ready to print."""

    question: QuestionView
    value: object
    text: str                 # '' when not answered (a note has no answer: its label is the text)
    raises_problem: bool      # the question's problem rule holds for this answer (e.g. 否)
    photos: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.text == ""


def raises_problem(q: QuestionView, answers: dict) -> bool:
    value = answers.get(q.name)
    return bool(q.problem_if_ast) and not is_empty(value) and evaluate(q.problem_if_ast, answers, value)


def is_item(q: QuestionView) -> bool:
    """A check item: a 是/否 question, or any closed question with a problem rule (a score under 6,
    a risk scan not complete). Free text raising problems is not an item: it is matched by category."""
    return q.type == "check" or (bool(q.problem_if_ast) and q.type not in ("text", "textarea", "note"))


def shown(section: SectionView, q: QuestionView | None, answers: dict) -> bool:
    """Whether relevance shows the section (and the question) for these answers."""
    for ast in (section.relevant_ast, q.relevant_ast if q else None):
        if ast and not evaluate(ast, answers, None):
            return False
    return True


def photos_by_question(submission_id: int | None) -> dict[str, list[Photo]]:
    found: dict[str, list[Photo]] = {}
    if submission_id is None:
        return found
    stmt = select(Photo).where(Photo.submission_id == submission_id).order_by(Photo.id)
    for photo in db.session.scalars(stmt):
        found.setdefault(photo.question_name, []).append(photo)
    return found


def answer(q: QuestionView, answers: dict, photos: dict[str, list[Photo]]) -> Answer:
    if q.type == "note":
        return Answer(q, None, q.label, False)
    value = answers.get(q.name)
    own = photos.get(q.name, []) if q.type == "photo" else []
    if q.type == "photo" and own:
        value = len(own)
    return Answer(q, value, answer_text(q, value), raises_problem(q, answers), own)


def sections(version: VersionView, answers: dict, photos: dict[str, list[Photo]],
             skip_hidden: bool = True) -> list[tuple[SectionView, list[Answer]]]:
    """Each section with its answers; questions relevance hides (and left empty) are left out."""
    result = []
    for section in version.sections:
        rows = [answer(q, answers, photos) for q in section.questions
                if not skip_hidden or shown(section, q, answers) or not is_empty(answers.get(q.name))]
        if rows:
            result.append((section, rows))
    return result
