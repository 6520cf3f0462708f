"""Questionnaire use cases: create, import, draft, publish. Edits live in editing.py."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from survey import audit
from survey.clock import utcnow
from survey.errors import Conflict, DomainError, InvalidTransition, ValidationFailed
from survey.extensions import db
from survey.models import Questionnaire, QuestionnaireVersion, User, VersionState
from survey.questionnaires.convert import fill_version, new_version, spec_from_version
from survey.xlsform.reader import read_xlsform
from survey.xlsform.spec import FormSpec, SectionSpec
from survey.xlsform.validate import validate_spec


def create_questionnaire(actor: User, title: str, kind: str) -> QuestionnaireVersion:
    """A new questionnaire with an empty draft version 1 (one section to start in)."""
    spec = FormSpec(title=title, form_id=f"form_{uuid.uuid4().hex[:10]}", kind=kind,
                    sections=[SectionSpec(name="part1", title="第一部分")])
    questionnaire = Questionnaire(form_id=spec.form_id, title=title, kind=kind)
    db.session.add(questionnaire)
    version = new_version(questionnaire, 1, spec, actor.id)
    db.session.flush()
    audit.record("questionnaire_create", actor=actor, target=questionnaire,
                 details={"title": title, "kind": kind})
    return version


def import_questionnaire(actor: User | None, data: bytes, filename: str, publish: bool = False,
                         kind: str | None = None) -> tuple[QuestionnaireVersion, list[str]]:
    """Import a workbook as a new version (of the questionnaire with the same form_id, if any).
    All or nothing: any error raises ValidationFailed listing every row."""
    result = read_xlsform(data, filename)
    if result.spec is None:
        raise ValidationFailed("导入失败，未导入任何内容。请修改以下问题后重新上传：", result.errors)
    spec = result.spec
    if kind:
        spec.kind = kind
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.form_id == spec.form_id))
    if questionnaire is None:
        questionnaire = Questionnaire(form_id=spec.form_id, title=spec.title, kind=spec.kind)
        db.session.add(questionnaire)
    else:
        questionnaire.title, questionnaire.kind = spec.title, spec.kind
    version = questionnaire.draft
    if version is None:
        version = new_version(questionnaire, _next_number(questionnaire), spec,
                              actor.id if actor else None)
    else:
        for section in list(version.sections):
            db.session.delete(section)  # cascades to the questions
        db.session.flush()  # old rows go before new ones take their names
        db.session.expire(version, ["sections"])
        fill_version(version, spec)
    db.session.flush()
    audit.record("questionnaire_import", actor=actor, target=questionnaire,
                 details={"file": filename[:100], "version": version.number,
                          "questions": len(spec.questions), "notices": result.notices[:20]})
    if publish:
        publish_version(actor, version)
    return version, result.notices


def _next_number(questionnaire: Questionnaire) -> int:
    if questionnaire.id is None:
        return 1
    current = db.session.scalar(select(func.max(QuestionnaireVersion.number))
                                .where(QuestionnaireVersion.questionnaire_id == questionnaire.id))
    return (current or 0) + 1


def start_draft(actor: User, questionnaire: Questionnaire) -> QuestionnaireVersion:
    """Editing a published questionnaire starts a new draft copied from its latest version."""
    if questionnaire.draft is not None:
        return questionnaire.draft
    source = questionnaire.latest_published
    if source is None:
        raise InvalidTransition("该问卷没有已发布版本")
    version = new_version(questionnaire, _next_number(questionnaire), spec_from_version(source), actor.id)
    version.settings = dict(source.settings)
    db.session.flush()
    audit.record("questionnaire_draft", actor=actor, target=questionnaire,
                 details={"from_version": source.number, "version": version.number})
    return version


def publish_version(actor: User | None, version: QuestionnaireVersion, lock_version: int | None = None) -> None:
    if version.is_published:
        raise InvalidTransition("该版本已发布")
    if lock_version is not None and lock_version != version.lock_version:
        raise Conflict("该草稿已被他人修改，请刷新后再发布")
    spec = spec_from_version(version)
    if not spec.questions:
        raise DomainError("问卷中还没有题目，不能发布")
    errors = validate_spec(spec)
    if errors:
        raise ValidationFailed("问卷有错误，不能发布：", errors)
    version.state = VersionState.PUBLISHED.value
    version.published_at = utcnow()
    version.published_by_id = actor.id if actor else None
    db.session.flush()
    audit.record("questionnaire_publish", actor=actor, target=version.questionnaire,
                 details={"version": version.number})


def delete_draft(actor: User, version: QuestionnaireVersion) -> None:
    if version.is_published:
        raise InvalidTransition("已发布的版本不能删除")
    questionnaire = version.questionnaire
    questionnaire.versions.remove(version)
    db.session.delete(version)  # cascades to its sections and questions now, not as an orphan
    audit.record("questionnaire_draft_delete", actor=actor, target=questionnaire,
                 details={"version": version.number})
    if not questionnaire.versions:
        db.session.delete(questionnaire)
    db.session.flush()
