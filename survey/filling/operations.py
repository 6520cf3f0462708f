"""Rounds, drafts and submits. Flush only; the view commits."""
from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey import audit
from survey.clock import today, utcnow
from survey.errors import Conflict, DomainError, InvalidTransition, NotAllowed, ValidationFailed
from survey.extensions import db
from survey.filling.answers import clean_answers
from survey.filling.problems import create_problems, parse_date, proposed_problems
from survey.ledger.operations import close_on_site
from survey.models import (Photo, QuestionnaireVersion, Round, RoundUnit, Submission, SubmissionKind,
                           SubmissionState, Unit, User)
from survey.models.round import DEADLINE_DAYS_COLUMNS, DEFAULT_DEADLINE_DAYS
from survey.permissions import can_edit_submission, can_reopen_submission
from survey.questionnaires.cache import version_view
from survey.reminders.defaults import create_default_ladder


class DraftConflict(Conflict):
    """Someone else saved this draft since the client's copy: both are shown, nothing overwritten."""

    def __init__(self, submission: Submission, updated_by: str) -> None:
        super().__init__("该草稿已被他人修改，请核对后选择保留哪份内容")
        self.submission = submission
        self.updated_by = updated_by


class RoundEnded(Conflict):
    """The round is past its end date (Round.has_ended): nothing more is submitted or saved."""


def check_round_open(rnd: Round) -> None:
    """Refuse work in a round that has ended (today's China date past its end), with the reason."""
    message = rnd.ended_message(today())
    if message:
        raise RoundEnded(message)


def create_round(actor: User, *, name: str, code: str, starts_on: date, ends_on: date,
                 self_check_deadline: date, self_check_version: QuestionnaireVersion,
                 onsite_version: QuestionnaireVersion, units: list[Unit],
                 groups: dict[int, int | None] | None = None,
                 deadline_days: dict[str, int] | None = None) -> Round:
    if db.session.scalar(select(Round.id).where(Round.name == name)):
        raise DomainError("已有同名检查批次", field="name")
    if ends_on < starts_on:
        raise DomainError("结束日期不能早于开始日期", field="ends_on")
    for version, kind, field in ((self_check_version, "self_check", "self_check_version_id"),
                                 (onsite_version, "onsite", "onsite_version_id")):
        if version is None or not version.is_published:
            raise DomainError("请选择已发布的问卷版本", field=field)
    if not units:
        raise DomainError("请至少选择一个单位", field="unit_ids")
    groups = groups or {}
    rnd = Round(name=name, code=code, starts_on=starts_on, ends_on=ends_on,
                self_check_deadline=self_check_deadline, self_check_version=self_check_version,
                onsite_version=onsite_version, created_by_id=actor.id)
    set_deadline_days(rnd, deadline_days or DEFAULT_DEADLINE_DAYS)
    rnd.scope = [RoundUnit(unit=u, group_id=groups.get(u.id, u.group_id)) for u in units]
    db.session.add(rnd)
    db.session.flush()
    create_default_ladder(rnd)
    audit.record("round_create", actor=actor, target=rnd, details={"units": len(units), "code": code})
    return rnd


def set_deadline_days(rnd: Round, days: dict[str, int]) -> None:
    """The round's default 整改时限 per severity (1 to 365 days after the problem is found)."""
    for severity, column in DEADLINE_DAYS_COLUMNS.items():
        value = days.get(severity, DEFAULT_DEADLINE_DAYS[severity])
        if not isinstance(value, int) or not 1 <= value <= 365:
            raise DomainError(f"“{severity}”问题的默认整改时限应为 1–365 天", field=column)
        setattr(rnd, column, value)


def open_submission(rnd: Round, unit: Unit, kind: str, actor: User) -> Submission:
    """The unit's self-check or visit in the round, created on first open (race-safe); once the
    round has ended, only an existing one opens (to be read)."""
    if db.session.get(RoundUnit, (rnd.id, unit.id)) is None:
        raise NotAllowed("该单位不在本批次范围内")
    stmt = select(Submission).where(Submission.round_id == rnd.id, Submission.unit_id == unit.id,
                                    Submission.kind == kind)
    existing = db.session.scalar(stmt)
    if existing:
        return existing
    check_round_open(rnd)
    version = rnd.self_check_version if kind == SubmissionKind.SELF_CHECK.value else rnd.onsite_version
    submission = Submission(round_id=rnd.id, unit_id=unit.id, kind=kind, version_id=version.id,
                            updated_by_id=actor.id)
    if kind == SubmissionKind.VISIT.value:
        submission.facts = {"visit_date": today().isoformat(), "place": unit.name,
                            "member_ids": [actor.id], "attendees": ""}
    try:
        with db.session.begin_nested():
            db.session.add(submission)
    except IntegrityError:
        return db.session.scalar(stmt)  # another tab or device created it first
    return submission


def _check_edit(actor: User, submission: Submission) -> None:
    if submission.is_submitted:
        raise InvalidTransition("已提交，不能再修改。如需修改请联系管理员退回")
    if not can_edit_submission(actor, submission):
        raise NotAllowed("您不能填写此表")
    check_round_open(submission.round)


def save_draft(actor: User, submission: Submission, payload: dict, lock_version: int | None,
               force: bool = False) -> Submission:
    """Autosave. A stale lock_version is a conflict unless the user chose to keep their copy."""
    _check_edit(actor, submission)
    if lock_version != submission.lock_version and not force:
        last = db.session.get(User, submission.updated_by_id) if submission.updated_by_id else None
        raise DraftConflict(submission, last.display_name if last else "")
    answers, _ = clean_answers(version_view(submission.version_id), payload.get("answers") or {}, final=False)
    submission.answers = answers
    if submission.kind == SubmissionKind.VISIT.value:
        submission.facts = clean_facts(payload.get("facts"), submission.facts)
        if isinstance(payload.get("found"), list):
            submission.found = clean_found(payload["found"])
    submission.updated_at, submission.updated_by_id = utcnow(), actor.id
    db.session.flush()
    return submission


def clean_facts(raw, current: dict) -> dict:
    if not isinstance(raw, dict):
        return current
    facts = dict(current)
    for key, limit in (("visit_date", 10), ("place", 200), ("attendees", 2000)):
        if key in raw:
            facts[key] = str(raw[key] or "")[:limit]
    if isinstance(raw.get("member_ids"), list):
        facts["member_ids"] = [int(i) for i in raw["member_ids"] if str(i).isdigit()][:50]
    return facts


def clean_found(items: list) -> list[dict]:
    keep = ("key", "question", "category", "description", "severity", "deadline", "dropped", "drop_reason",
            "on_site", "on_site_result")
    flags = ("dropped", "on_site")
    cleaned = []
    for item in items[:300]:
        if isinstance(item, dict):
            cleaned.append({k: (str(item.get(k) or "")[:2000] if k not in flags else bool(item.get(k)))
                            for k in keep})
    return cleaned


def payload_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def submit(actor: User, submission: Submission, payload: dict, token: str) -> tuple[Submission, bool]:
    """Submit once. The same token again returns the stored submission (created=False); a
    different payload under the same token, or a second submit, is refused."""
    if not token or len(token) > 64:
        raise DomainError("缺少提交令牌，请刷新页面后重试")
    digest = payload_hash(payload)
    if submission.submit_token == token:
        if submission.payload_hash != digest:
            raise ValidationFailed("同一提交令牌的内容与已提交的不一致，未作修改", [])
        return submission, False
    _check_edit(actor, submission)
    counts = photo_counts(submission)
    answers, errors = clean_answers(version_view(submission.version_id), payload.get("answers") or {},
                                    final=True, photo_counts=counts)
    if errors:
        raise ValidationFailed("提交失败，请修改以下问题：", errors)
    found = _final_found(submission, payload, answers)
    submission.answers, submission.state = answers, SubmissionState.SUBMITTED.value
    submission.submit_token, submission.payload_hash = token, digest
    submission.submitted_at = submission.updated_at = utcnow()
    submission.submitted_by_id = submission.updated_by_id = actor.id
    db.session.flush()
    found_on = _found_on(submission)
    kept = [item for item in found if not item.get("dropped")]
    problems = create_problems(submission, kept, actor, found_on)
    for item, problem in zip(kept, problems):
        if item.get("on_site"):  # 立行立改: fixed during the visit, closed at once with what was done
            close_on_site(actor, problem, item["on_site_result"])
    audit.record("submission_submit", actor=actor, target=submission.unit,
                 details={"submission_id": submission.id, "kind": submission.kind, "problems": len(problems),
                          "on_site": sum(bool(i.get("on_site")) for i in kept)})
    return submission, True


def _final_found(submission: Submission, payload: dict, answers: dict) -> list[dict]:
    proposed = proposed_problems(version_view(submission.version_id), answers)
    if submission.kind == SubmissionKind.SELF_CHECK.value:
        return proposed
    submission.facts = clean_facts(payload.get("facts"), submission.facts)
    final = with_default_deadlines(submission, merge_found(
        proposed, clean_found(payload.get("found") or submission.found or [])))
    found_on = _found_on(submission)
    for item in final:
        if item.get("dropped"):
            if not item.get("drop_reason"):
                raise DomainError(f"删除“{item['description'][:20]}”需要填写理由")
            continue
        if not item.get("description"):
            raise DomainError("问题描述不能为空")
        deadline = parse_date(item.get("deadline"))
        if deadline is None or deadline < found_on:
            raise DomainError(f"“{item['description'][:20]}”的整改时限应为不早于问诊日期（{found_on}）的日期")
        if item.get("on_site") and not str(item.get("on_site_result") or "").strip():
            raise DomainError(f"“{item['description'][:20]}”标为立行立改，请填写现场整改情况")
    submission.found = final
    return final


def with_default_deadlines(submission: Submission, items: list[dict]) -> list[dict]:
    """Items without a 整改时限 get the round's default for their severity, from the visit date."""
    found_on, rnd = _found_on(submission), submission.round
    return [{**item, "deadline": item.get("deadline") or rnd.default_deadline(item.get("severity", ""), found_on)
             .isoformat()} for item in items]


def merge_found(proposed: list[dict], reviewed: list[dict]) -> list[dict]:
    """The problems the rules raise, with the inspector's edits laid over them, then the ones
    added by hand. Rules no longer raised (the answer changed) drop out with their edits."""
    by_key = {item.get("key"): item for item in reviewed}
    merged = []
    for item in proposed:
        edited = by_key.pop(item["key"], None) or {}
        merged.append({**item, **{k: v for k, v in edited.items() if v not in ("", None)}})
    return merged + [item for key, item in by_key.items() if str(key or "").startswith("manual")]


def review_items(submission: Submission) -> list[dict]:
    """What the review page lists before a visit is submitted, from the saved draft."""
    version = version_view(submission.version_id)
    answers, _ = clean_answers(version, submission.answers, final=False)
    valid, _ = clean_answers(version, answers, final=True, photo_counts=photo_counts(submission))
    return with_default_deadlines(submission, merge_found(proposed_problems(version, valid), submission.found or []))


def default_deadlines(submission: Submission) -> dict[str, str]:
    """The review page's default 整改时限 per severity, from the visit date."""
    return submission.round.default_deadlines(_found_on(submission))


def _found_on(submission: Submission) -> date:
    try:
        return date.fromisoformat(submission.facts.get("visit_date", ""))
    except (ValueError, AttributeError):
        return today()


def photo_counts(submission: Submission) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in db.session.scalars(select(Photo.question_name).where(Photo.submission_id == submission.id)):
        counts[name] = counts.get(name, 0) + 1
    return counts


def reopen(actor: User, submission: Submission, reason: str) -> None:
    if not can_reopen_submission(actor, submission):
        raise NotAllowed("只有管理员可以退回已提交的表")
    if not reason.strip():
        raise DomainError("请填写退回理由", field="reason")
    check_round_open(submission.round)   # sent back after the end, it could never come in again
    submission.state = SubmissionState.DRAFT.value
    submission.submit_token = submission.payload_hash = None
    submission.updated_at, submission.updated_by_id = utcnow(), actor.id
    audit.record("submission_reopen", actor=actor, target=submission.unit,
                 details={"submission_id": submission.id, "reason": reason.strip()[:500]})
