"""Published versions as plain, immutable data, cached per process.

A published version never changes (versioning.py), so filling pages and autosaves can use one
in-memory copy instead of loading 40-odd question rows on every request."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.models import QuestionnaireVersion, Section
from survey.models.questionnaire import CHECK_CHOICES

_CACHE: dict[int, "VersionView"] = {}
_MAX = 200


@dataclass(frozen=True)
class QuestionView:
    name: str
    type: str
    label: str
    hint: str
    required: bool
    required_message: str
    appearance: str
    parameters: dict
    relevant_ast: dict | None
    constraint_ast: dict | None
    constraint_message: str
    problem_if_ast: dict | None
    problem_category: str
    problem_severity: str
    choices: tuple

    def options(self, version=None) -> tuple:
        return self.choices


@dataclass(frozen=True)
class SectionView:
    name: str
    title: str
    hint: str
    relevant_ast: dict | None
    questions: tuple


@dataclass(frozen=True)
class VersionView:
    id: int
    number: int
    title: str
    is_published: bool
    sections: tuple
    questions: tuple
    fillable_count: int


def _build(version: QuestionnaireVersion) -> VersionView:
    sections = []
    for s in version.sections:
        questions = tuple(QuestionView(
            name=q.name, type=q.type, label=q.label, hint=q.hint, required=q.required,
            required_message=q.required_message, appearance=q.appearance, parameters=dict(q.parameters or {}),
            relevant_ast=q.relevant_ast, constraint_ast=q.constraint_ast, constraint_message=q.constraint_message,
            problem_if_ast=q.problem_if_ast, problem_category=q.problem_category,
            problem_severity=q.problem_severity,
            choices=tuple(CHECK_CHOICES if q.type == "check" else version.choices.get(q.choice_list or "", [])))
            for q in s.questions)
        sections.append(SectionView(name=s.name, title=s.title, hint=s.hint, relevant_ast=s.relevant_ast,
                                    questions=questions))
    flat = tuple(q for s in sections for q in s.questions)
    return VersionView(id=version.id, number=version.number, title=version.title,
                       is_published=version.is_published, sections=tuple(sections), questions=flat,
                       fillable_count=sum(1 for q in flat if q.type != "note"))


def version_view(version_id: int) -> VersionView:
    """The version as plain data: from the cache when published, freshly built for a draft."""
    cached = _CACHE.get(version_id)
    if cached is not None:
        return cached
    version = db.session.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.id == version_id)
        .options(selectinload(QuestionnaireVersion.sections).selectinload(Section.questions)))
    view = _build(version)
    if view.is_published:
        if len(_CACHE) >= _MAX:
            _CACHE.clear()
        _CACHE[version_id] = view
    return view


_ON_CLEAR: list = []


def on_clear(hook) -> None:
    """hook() runs whenever the cache is cleared: caches built from versions (filling.render) forget too."""
    _ON_CLEAR.append(hook)


def clear() -> None:
    """Forget every cached version (tests empty the database between cases; ids come back)."""
    _CACHE.clear()
    for hook in _ON_CLEAR:
        hook()
