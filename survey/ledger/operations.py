"""One function per transition of a problem: rights, state, version, change and event together.
Flush only; the view commits (one transaction per request, bulk included)."""
from __future__ import annotations

from datetime import date

from survey import audit
from survey.clock import utcnow
from survey.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from survey.extensions import db
from survey.ledger import categories, creation, rules
from survey.ledger.transitions import BULK_ACTIONS, TRANSITIONS
from survey.models import Problem, ProblemEvent, ProblemSource, ProblemStatus, Round, RoundUnit, Unit, User
from survey.permissions import ADMIN, CHECKER, roles_of

ACTIONS: dict = {}  # transition name -> its function below, one for every row of TRANSITIONS


def _step(name: str):
    def register(fn):
        ACTIONS[name] = fn
        return fn
    return register


def scope_of(problem: Problem) -> RoundUnit | None:
    return db.session.get(RoundUnit, (problem.round_id, problem.unit_id)) if problem.round_id else None


def _begin(actor: User, problem: Problem, action: str, lock_version: int | None, comment: str = "") -> str:
    """Check right, state and version; return the status before."""
    t = TRANSITIONS[action]
    reason = rules.refusal(action, actor, problem, scope_of(problem))
    if reason:
        allowed_role = bool(roles_of(actor, problem, scope_of(problem)) & t.who)
        raise (InvalidTransition if allowed_role else NotAllowed)(reason)
    if lock_version is not None and lock_version != problem.lock_version:
        raise Conflict("该问题已被他人处理，请刷新后查看最新状态")
    if t.needs_comment and not comment.strip():
        raise DomainError("请填写理由", field="comment")
    return problem.status


def _finish(actor: User, problem: Problem, action: str, before: str, comment: str = "",
            changes: dict | None = None) -> ProblemEvent:
    target = TRANSITIONS[action].target
    if target:
        problem.status = target.value
    event = creation.record_event(problem, action, actor.id, before=before, comment=comment, changes=changes)
    db.session.flush()  # the version check (UPDATE ... WHERE lock_version) happens here
    return event


def _set(problem: Problem, **values) -> dict:
    return audit.changes(problem, values)


@_step("accept")
def accept(actor: User, problem: Problem, lock_version: int | None, *, measures: str, responsible_person: str,
           planned_on: date | None) -> ProblemEvent:
    before = _begin(actor, problem, "accept", lock_version)
    if not measures.strip() or not responsible_person.strip():
        raise DomainError("请填写整改措施和责任人", field="measures")
    if planned_on and planned_on < problem.found_on:
        raise DomainError("计划完成日期不能早于发现时间", field="planned_on")
    changes = _set(problem, measures=measures.strip(), responsible_person=responsible_person.strip()[:64],
                   planned_on=planned_on)
    return _finish(actor, problem, "accept", before, changes=changes)


@_step("update_progress")
def update_progress(actor: User, problem: Problem, lock_version: int | None, *, progress: str) -> ProblemEvent:
    before = _begin(actor, problem, "update_progress", lock_version)
    if not progress.strip():
        raise DomainError("请填写整改进展", field="progress")
    return _finish(actor, problem, "update_progress", before, changes=_set(problem, progress=progress.strip()))


@_step("report")
def report(actor: User, problem: Problem, lock_version: int | None, *, result: str) -> ProblemEvent:
    before = _begin(actor, problem, "report", lock_version)
    if not result.strip():
        raise DomainError("请填写完成情况", field="result")
    return _finish(actor, problem, "report", before, changes=_set(problem, result=result.strip()))


@_step("verify")
def verify(actor: User, problem: Problem, lock_version: int | None, *, comment: str = "") -> ProblemEvent:
    before = _begin(actor, problem, "verify", lock_version)
    changes = _set(problem, closed_at=utcnow(), closed_by_id=actor.id)
    return _finish(actor, problem, "verify", before, comment, changes)


@_step("return")
def return_problem(actor: User, problem: Problem, lock_version: int | None, *, comment: str) -> ProblemEvent:
    before = _begin(actor, problem, "return", lock_version, comment)
    return _finish(actor, problem, "return", before, comment)


@_step("request_extension")
def request_extension(actor: User, problem: Problem, lock_version: int | None, *, new_deadline: date | None,
                      comment: str) -> ProblemEvent:
    before = _begin(actor, problem, "request_extension", lock_version, comment)
    if new_deadline is None or (problem.deadline and new_deadline <= problem.deadline):
        raise DomainError("新的整改时限须晚于当前时限", field="new_deadline")
    changes = _set(problem, extension_deadline=new_deadline, extension_reason=comment.strip())
    return _finish(actor, problem, "request_extension", before, comment, changes)


@_step("approve_extension")
def approve_extension(actor: User, problem: Problem, lock_version: int | None, *, comment: str = "") -> ProblemEvent:
    before = _begin(actor, problem, "approve_extension", lock_version)
    changes = _set(problem, deadline=problem.extension_deadline, extension_deadline=None, extension_reason="")
    return _finish(actor, problem, "approve_extension", before, comment, changes)


@_step("refuse_extension")
def refuse_extension(actor: User, problem: Problem, lock_version: int | None, *, comment: str) -> ProblemEvent:
    before = _begin(actor, problem, "refuse_extension", lock_version, comment)
    changes = _set(problem, extension_deadline=None, extension_reason="")
    return _finish(actor, problem, "refuse_extension", before, comment, changes)


@_step("cancel")
def cancel(actor: User, problem: Problem, lock_version: int | None, *, comment: str) -> ProblemEvent:
    before = _begin(actor, problem, "cancel", lock_version, comment)
    return _finish(actor, problem, "cancel", before, comment)


@_step("reopen")
def reopen(actor: User, problem: Problem, lock_version: int | None, *, comment: str) -> ProblemEvent:
    before = _begin(actor, problem, "reopen", lock_version, comment)
    changes = _set(problem, closed_at=None, closed_by_id=None)
    return _finish(actor, problem, "reopen", before, comment, changes)


@_step("set_deadline")
def set_deadline(actor: User, problem: Problem, lock_version: int | None, *, deadline: date) -> ProblemEvent:
    before = _begin(actor, problem, "set_deadline", lock_version)
    if deadline < problem.found_on:
        raise DomainError(f"问题 {problem.code} 的整改时限不能早于发现时间", field="deadline")
    return _finish(actor, problem, "set_deadline", before, changes=_set(problem, deadline=deadline))


@_step("set_category")
def set_category(actor: User, problem: Problem, lock_version: int | None, *, category: str) -> ProblemEvent:
    before = _begin(actor, problem, "set_category", lock_version)
    if not categories.is_active(category):
        raise DomainError("问题类别无效", field="category")
    return _finish(actor, problem, "set_category", before, changes=_set(problem, category=category))


if set(ACTIONS) != set(TRANSITIONS):
    raise RuntimeError(f"transitions without exactly one function: {set(ACTIONS) ^ set(TRANSITIONS)}")


def bulk(actor: User, problems: list[Problem], action: str, **params) -> int:
    """The same transition applied one by one in the caller's transaction: all or nothing."""
    if action not in BULK_ACTIONS or not actor.is_admin:
        raise NotAllowed("不支持的批量操作")
    if not problems:
        raise DomainError("请至少选择一个问题")
    for problem in problems:
        ACTIONS[action](actor, problem, None, **params)
    audit.record("ledger_bulk", actor=actor, details={"action": action, "count": len(problems)})
    return len(problems)


def register_problem(actor: User, *, rnd: Round, unit: Unit, category: str, description: str, severity: str,
                     deadline: date | None, found_on: date, on_site_result: str = "") -> Problem:
    """A problem recorded by hand (日常监督), or fixed during the visit (立行立改: created and
    closed in one step, with what was done on site)."""
    probe = Problem(round_id=rnd.id, unit_id=unit.id, unit=unit, status=ProblemStatus.OPEN.value)
    if not roles_of(actor, probe, db.session.get(RoundUnit, (rnd.id, unit.id))) & {CHECKER, ADMIN}:
        raise NotAllowed("只有负责该单位的督导组成员或管理员可以登记问题")
    if not categories.is_active(category):
        raise DomainError("问题类别无效", field="category")
    if not description.strip():
        raise DomainError("请填写问题描述", field="description")
    if deadline and deadline < found_on:
        raise DomainError("整改时限不能早于发现时间", field="deadline")
    problem = creation.create_problem(
        rnd, actor_id=actor.id, comment="手工登记", unit_id=unit.id, category=category,
        description=description.strip(), severity=severity, deadline=deadline, found_on=found_on,
        source=ProblemSource.DAILY.value)
    if on_site_result.strip():
        close_on_site(actor, problem, on_site_result.strip())
    return problem


def close_on_site(actor: User, problem: Problem, result: str) -> ProblemEvent:
    """立行立改: what was done on site closes the new problem at once."""
    before = problem.status
    _set(problem, result=result, closed_at=utcnow(), closed_by_id=actor.id)
    problem.status = ProblemStatus.CLOSED.value
    event = creation.record_event(problem, "close_on_site", actor.id, before=before, comment="立行立改",
                                  changes={"result": result})
    db.session.flush()
    return event
