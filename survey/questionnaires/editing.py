"""Editing a draft version on screen. Every edit is re-validated as a whole form."""
from __future__ import annotations

import re

from sqlalchemy.orm.attributes import flag_modified

from survey.errors import DomainError, InvalidTransition
from survey.extensions import db
from survey.models import Question, QuestionnaireVersion, Section
from survey.questionnaires.convert import (
    QUESTION_DEFAULTS, compile_expression, compile_question, spec_from_version)
from survey.questionnaires.versioning import MESSAGE
from survey.xlsform.validate import validate_spec

FORM_FIELDS = {"name", "label", "hint", "relevant", "constraint", "problem_if", "parameters",
               "problem_severity", "problem_category", "type"}


def require_draft(version: QuestionnaireVersion) -> None:
    if version.is_published:
        raise InvalidTransition(MESSAGE)


def _validate(version: QuestionnaireVersion) -> None:
    """Check the whole form in memory, before anything reaches the database."""
    with db.session.no_autoflush:
        errors = validate_spec(spec_from_version(version))
    if errors:
        first = errors[0]
        raise DomainError(first.message, field=first.column if first.column in FORM_FIELDS else None)
    # Any edit bumps the version's lock_version, so a publish from a stale page is a conflict.
    flag_modified(version, "title")


def _renumber(items) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def update_title(version: QuestionnaireVersion, title: str, kind: str) -> None:
    require_draft(version)
    version.title = title
    version.questionnaire.title = title
    version.questionnaire.kind = kind


def add_section(version: QuestionnaireVersion, title: str, hint: str = "", relevant: str = "") -> Section:
    require_draft(version)
    taken = {s.name for s in version.sections}
    n = len(version.sections) + 1
    while f"part{n}" in taken:
        n += 1
    section = Section(name=f"part{n}", position=len(version.sections) + 1, title=title, hint=hint,
                      relevant=relevant)
    version.sections.append(section)
    update_section(section, title, hint, relevant)
    return section


def update_section(section: Section, title: str, hint: str, relevant: str) -> None:
    require_draft(section.version)
    section.title, section.hint, section.relevant = title, hint, relevant
    _validate(section.version)
    section.relevant_ast = compile_expression(relevant)


def delete_section(section: Section) -> None:
    version = section.version
    require_draft(version)
    if len(version.sections) == 1:
        raise DomainError("问卷至少要保留一个部分")
    with db.session.no_autoflush:
        db.session.delete(section)  # with its questions
        version.sections.remove(section)
        _renumber(version.sections)
    _validate(version)


def move_section(section: Section, delta: int) -> None:
    version = section.version
    require_draft(version)
    sections = list(version.sections)
    i = sections.index(section)
    j = max(0, min(len(sections) - 1, i + delta))
    sections.insert(j, sections.pop(i))
    _renumber(sections)
    version.sections = sections
    _validate(version)


def parse_choices(text: str) -> list[dict]:
    """Lines 'code=label' or just 'label' (coded 1, 2, ...)."""
    items, used = [], set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        code, sep, label = line.partition("=")
        code, label = (code.strip(), label.strip()) if sep else ("", line)
        if not code:
            n = len(items) + 1
            while str(n) in used:
                n += 1
            code = str(n)
        if not re.match(r"^[\w.-]+$", code):
            raise DomainError(f"选项编码“{code}”只能由字母、数字、下划线组成", field="choices")
        if code in used:
            raise DomainError(f"选项编码“{code}”重复", field="choices")
        used.add(code)
        items.append({"name": code, "label": label or code})
    return items


def choices_text(version: QuestionnaireVersion, question: Question | None) -> str:
    if question is None or not question.choice_list:
        return ""
    return "\n".join(f"{i['name']}={i['label']}" for i in version.choices.get(question.choice_list, []))


def _set_choices(version: QuestionnaireVersion, question: Question, text: str) -> None:
    if question.type not in ("single", "multiple"):
        question.choice_list = None
        return
    items = parse_choices(text)
    if not items:
        raise DomainError("请至少填写一个选项", field="choices")
    shared = [q for q in version.questions if q is not question and q.choice_list == question.choice_list]
    if question.choice_list is None or shared:
        question.choice_list = _free_list_name(version, question.name)
    choices = dict(version.choices)
    choices[question.choice_list] = items
    version.choices = choices


def _free_list_name(version: QuestionnaireVersion, base: str) -> str:
    name, n = base, 2
    while name in version.choices:
        name, n = f"{base}_{n}", n + 1
    return name


def save_question(section: Section, question: Question | None, values: dict, choices: str) -> Question:
    """Create (question None) or update a question of a draft from the editor's values."""
    version = section.version
    require_draft(version)
    if question is None:
        question = Question(position=len(section.questions) + 1, version=version, parameters={},
                            **QUESTION_DEFAULTS)
        section.questions.append(question)
    for key, value in values.items():
        setattr(question, key, value)
    _set_choices(version, question, choices)
    _validate(version)
    compile_question(question)
    return question


def delete_question(question: Question) -> None:
    section = question.section
    require_draft(section.version)
    section.questions.remove(question)
    _renumber(section.questions)
    _validate(section.version)


def move_question(question: Question, delta: int) -> None:
    """Up or down one place; past the edge of a section it moves into the neighbouring one."""
    section, version = question.section, question.section.version
    require_draft(version)
    items = list(section.questions)
    i = items.index(question)
    j = i + delta
    if 0 <= j < len(items):
        items.insert(j, items.pop(i))
        section.questions = items
        _renumber(items)
    else:
        k = version.sections.index(section) + (1 if delta > 0 else -1)
        if not 0 <= k < len(version.sections):
            return
        target = version.sections[k]
        with db.session.no_autoflush:  # never flush while the question is between sections
            target_items = list(target.questions)
            section.questions.remove(question)
            _renumber(section.questions)
            target_items.insert(0 if delta > 0 else len(target_items), question)
            target.questions = target_items
            _renumber(target_items)
    _validate(version)
