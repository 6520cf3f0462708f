"""Reads for the questionnaire pages."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.queries import get_or_404  # noqa: F401  (re-exported for the views)
from survey.models import Question, Questionnaire, QuestionnaireVersion, Section



def get_version_or_404(version_id: int) -> QuestionnaireVersion:
    stmt = (select(QuestionnaireVersion).where(QuestionnaireVersion.id == version_id)
            .options(selectinload(QuestionnaireVersion.sections).selectinload(Section.questions)))
    version = db.session.scalar(stmt)
    if version is None:
        abort(404)
    return version


def get_section_or_404(section_id: int) -> Section:
    return get_or_404(Section, section_id)


def get_question_or_404(question_id: int) -> Question:
    return get_or_404(Question, question_id)


def query_questionnaires() -> list[Questionnaire]:
    stmt = select(Questionnaire).options(selectinload(Questionnaire.versions)).order_by(Questionnaire.id)
    return list(db.session.scalars(stmt))
