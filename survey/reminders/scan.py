"""The reminder scan: fire each round's ladder over open problems and unsent self-checks.

run_scan(now=None, dry_run=False) is a plain function (the job queue runs it daily; `flask
send-reminders` runs it by hand). For every enabled step, every target whose step is due on or
before today (China date) and has not fired yet gets, in one transaction per (round, target kind):
- a LadderFiring (dedupe_key unique: p{problem}:s{step}:{deadline} or r{round}:u{unit}:s{step}:{deadline},
  so a new deadline after 延期 fires the ladder again, and a second scan fires nothing);
- for a problem, a ProblemEvent on its timeline (action "remind", or "notice" when the step issues one);
- the numbered notice when the step has notice_kind (survey.notices.numbering.issue_notices: the same
  counter as issue_notice, a block of numbers reserved per batch, in firing order);
- one Message per recipient (dedupe_key unique "f{firing}:u{user}" / ":c{contact}" / ":unit").

Only the latest due step reaches people. When several steps of one target are due at once and have not
fired (a problem registered already 20 days overdue, or a scan that did not run for days), the latest
fires and the earlier ones are recorded as skipped (LadderFiring.skipped): nobody gets four messages on
day one, and the timeline shows the step the problem is on.

The deadline counted from is Problem.deadline: approving a 延期 moves the granted extension deadline into
it (survey/ledger/operations.py approve_extension); extension_deadline is only a pending request. Open
means the ledger's OPEN statuses (the same as its 逾期 filter). A step at offset n is due on
shift(deadline, n) in working days (survey.calendar.workdays) or calendar days; a deadline on a holiday
falls due, for a step at offset 0, on the next working day.

Set-based: which targets are due is decided per step with one INSERT ... SELECT (a step is due for
every deadline up to a cutoff date), and the events and messages are INSERT ... SELECTs over the new
firings; only notices are issued one by one (their numbers).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import (JSON, Boolean, Date, Integer, String, and_, bindparam, case, cast, exists, func, insert, literal, select,
                        update)
from sqlalchemy.sql.elements import ColumnElement

from survey import clock
from survey.calendar.workdays import WorkCalendar
from survey.database import writing
from survey.extensions import db
from survey.models import (OPEN, LadderFiring, Notice, LadderStep, LadderTarget, Message, Problem, ProblemEvent, Role,
                           Round, RoundUnit, Submission, SubmissionKind, SubmissionState, Unit, UnitContact, User)
from survey.models.group import group_members
from survey.notices.numbering import NOTICE_KINDS, issue_notices
from survey.permissions.coverage import covering_group_column

log = logging.getLogger(__name__)
# the rows already there, for the NOT EXISTS of an INSERT ... SELECT into the same table
_PAST_FIRING = LadderFiring.__table__.alias("past_firing")
_PAST_MESSAGE = Message.__table__.alias("past_message")
AUDIENCE_LABELS = {"liaison": "联络员", "leader": "分管领导", "head": "主要负责人", "group": "督导组", "admin": "管理员"}


@dataclass
class StepReport:
    round_id: int
    round_name: str
    step_id: int
    key: str
    name: str
    target: str
    fired: int = 0
    skipped: int = 0
    notices: int = 0
    messages: int = 0


@dataclass
class ScanReport:
    today: date
    dry_run: bool
    steps: list[StepReport] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)   # one per message: recipient, subject

    @property
    def fired(self) -> int:
        return sum(s.fired for s in self.steps)

    @property
    def skipped(self) -> int:
        return sum(s.skipped for s in self.steps)

    @property
    def messages(self) -> int:
        return sum(s.messages for s in self.steps)

    @property
    def notices(self) -> int:
        return sum(s.notices for s in self.steps)


def step_phrase(step: LadderStep) -> str:
    unit = "个工作日" if step.working_days else "天"
    if step.offset_days < 0:
        return f"距整改时限还有 {-step.offset_days} {unit}，请抓紧整改"
    if step.offset_days == 0:
        return "今日到期，请按时完成整改并报告"
    return f"已逾期 {step.offset_days} {unit}，请立即整改并说明原因"


def self_check_phrase(step: LadderStep) -> str:
    unit = "个工作日" if step.working_days else "天"
    if step.offset_days < 0:
        return f"距自查截止还有 {-step.offset_days} {unit}，请尽快填报并提交自查表"
    if step.offset_days == 0:
        return "自查今日截止，请按时提交自查表"
    return f"自查已逾期 {step.offset_days} {unit}仍未提交，请立即提交"


def cutoff(cal: WorkCalendar, step: LadderStep, today: date) -> date:
    """The latest deadline for which step is due on or before today (due dates grow with the deadline)."""
    span = timedelta(days=abs(step.offset_days) * 3 + 40)
    lo, hi = today - span, today + span
    while lo < hi:  # the largest d in [lo, hi] with shift(d) <= today
        mid = lo + timedelta(days=(hi - lo).days // 2 + 1)
        if cal.shift(mid, step.offset_days, step.working_days) <= today:
            lo = mid
        else:
            hi = mid - timedelta(days=1)
    return lo


def _text(value: str) -> ColumnElement:
    return literal(value, String)


def _str(col) -> ColumnElement:
    return cast(col, String)


def _ordered(steps: list[LadderStep]) -> list[LadderStep]:
    return sorted(steps, key=lambda s: (s.position, s.offset_days, s.id))


def run_scan(now: datetime | None = None, dry_run: bool = False) -> ScanReport:
    """One scan at now (default: the clock). Commits one transaction per round and target kind; with
    dry_run everything is done and reported, then rolled back (nothing stored, no number used)."""
    with writing():
        return _run(now or clock.utcnow(), dry_run)


def _run(now: datetime, dry_run: bool) -> ScanReport:
    today = clock.china_date(now)
    report = ScanReport(today=today, dry_run=dry_run)
    cal = WorkCalendar()
    db.session.rollback()  # start clean: the scan is its own boundary
    steps = list(db.session.scalars(select(LadderStep).where(LadderStep.enabled.is_(True))))
    rounds = {r.id: r for r in db.session.scalars(select(Round).where(Round.id.in_({s.round_id for s in steps})))}
    batches: dict[tuple[int, str], list[LadderStep]] = {}
    for step in steps:
        batches.setdefault((step.round_id, step.target), []).append(step)
    for (round_id, target), batch in sorted(batches.items()):
        rnd = rounds[round_id]
        try:
            if target == LadderTarget.PROBLEM.value:
                _scan_problems(rnd, _ordered(batch), cal, now, today, report)
            elif target == LadderTarget.SELF_CHECK.value and rnd.ends_on >= today:
                _scan_self_checks(rnd, _ordered(batch), cal, now, today, report)
        except Exception:
            db.session.rollback()
            raise
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    if dry_run:
        db.session.rollback()
    return report


def _mark() -> int:
    return db.session.scalar(select(func.max(LadderFiring.id))) or 0


def _due_case(cal: WorkCalendar, step: LadderStep, deadlines: list[date], column) -> ColumnElement:
    """due_on for each deadline, as CASE deadline WHEN d THEN due(d)."""
    if not deadlines:
        return cast(column, Date)
    return case({d: literal(cal.shift(d, step.offset_days, step.working_days), Date) for d in deadlines},
                value=column, else_=cast(column, Date))


def _scan_problems(rnd: Round, steps: list[LadderStep], cal: WorkCalendar, now: datetime, today: date,
                   report: ScanReport) -> None:
    cutoffs = [cutoff(cal, s, today) for s in steps]
    open_here = and_(Problem.round_id == rnd.id, Problem.status.in_(OPEN), Problem.deadline.is_not(None))
    widest = max(cutoffs)
    deadlines = sorted(db.session.scalars(select(Problem.deadline).where(open_here, Problem.deadline <= widest)
                                          .distinct()))
    for i, step in enumerate(steps):
        later = max(cutoffs[i + 1:], default=None)
        mine = [d for d in deadlines if d <= cutoffs[i]]
        sr = StepReport(rnd.id, rnd.name, step.id, step.key, step.name, step.target)
        report.steps.append(sr)
        if not mine:
            continue
        mark = _mark()
        key = _text("p") + _str(Problem.id) + _text(f":s{step.id}:") + _str(Problem.deadline)
        skipped = (Problem.deadline <= later) if later is not None else literal(False, Boolean)
        chosen = select(key, literal(step.id), Problem.round_id, Problem.unit_id, Problem.id, Problem.deadline,
                        _due_case(cal, step, mine, Problem.deadline), literal(now, LadderFiring.fired_at.type),
                        skipped).where(
            open_here, Problem.deadline <= cutoffs[i],
            # the dedupe_key's parts, probed by the problem_id index (integers, not the built string)
            ~exists().where(_PAST_FIRING.c.problem_id == Problem.id, _PAST_FIRING.c.step_id == step.id,
                            _PAST_FIRING.c.deadline == Problem.deadline))
        db.session.execute(insert(LadderFiring).from_select(
            ["dedupe_key", "step_id", "round_id", "unit_id", "problem_id", "deadline", "due_on", "fired_at",
             "skipped"], chosen))
        new = and_(LadderFiring.id > mark, LadderFiring.step_id == step.id)
        counts = dict(db.session.execute(select(LadderFiring.skipped, func.count()).where(new)
                                         .group_by(LadderFiring.skipped)).all())
        sr.fired, sr.skipped = counts.get(False, 0), counts.get(True, 0)
        if not sr.fired:
            continue
        fired = and_(new, LadderFiring.skipped.is_(False))
        if step.notice_kind:
            sr.notices = _issue_notices(rnd, step, fired, today)
        _problem_events(step, fired, now)
        sr.messages = _problem_messages(rnd, step, fired, now, report)


def _issue_notices(rnd: Round, step: LadderStep, fired, today: date) -> int:
    rows = db.session.execute(
        select(LadderFiring.id, LadderFiring.unit_id, LadderFiring.problem_id, LadderFiring.deadline,
               LadderFiring.due_on, Problem.code, Problem.description, Unit.name)
        .join(Problem, Problem.id == LadderFiring.problem_id).join(Unit, Unit.id == LadderFiring.unit_id)
        .where(fired).order_by(LadderFiring.id)).all()
    title = NOTICE_KINDS[step.notice_kind].title
    items = []
    for fid, unit_id, problem_id, deadline, due_on, code, description, unit_name in rows:
        body = (f"{unit_name}：\n你单位问题 {code}（{description[:80]}）整改时限为 {deadline.isoformat()}，"
                f"{step_phrase(step)}。请于收到本{title}后抓紧落实，并将整改情况报送督导组。")
        facts = {"round": rnd.name, "unit": unit_name, "problem_code": code, "description": description,
                 "deadline": deadline.isoformat(), "due_on": due_on.isoformat(), "step": step.name,
                 "step_key": step.key, "offset_days": step.offset_days, "working_days": step.working_days}
        items.append({"unit_id": unit_id, "problem_id": problem_id, "step_id": step.id, "body": body, "facts": facts})
    return _issue_and_link(rnd, step, items, [r[0] for r in rows], today)


def _issue_and_link(rnd: Round, step: LadderStep, items: list[dict], firing_ids: list[int], today: date) -> int:
    """Issue the notices (numbered in firing order) and point each firing at its own (by its number)."""
    if not items:
        return 0
    first = issue_notices(rnd, step.notice_kind, items, on=today)
    table = LadderFiring.__table__
    own = (select(Notice.id).where(Notice.round_id == rnd.id, Notice.kind == step.notice_kind,
                                   Notice.seq == bindparam("seq")).scalar_subquery())
    db.session.execute(update(table).where(table.c.id == bindparam("fid")).values(notice_id=own),
                       [{"fid": f, "seq": first + i} for i, f in enumerate(firing_ids)])
    return len(items)


def _problem_events(step: LadderStep, fired, now: datetime) -> None:
    action = "notice" if step.notice_kind else "remind"
    audience = "、".join(AUDIENCE_LABELS.get(a, a) for a in step.audience)
    comment = (_text(f"{step.name}（整改时限 ") + _str(LadderFiring.deadline) + _text(f"，发送给{audience}）")
               + func.coalesce(_text(" ") + Notice.number, _text("")))
    chosen = (select(LadderFiring.problem_id, literal(now, ProblemEvent.created_at.type), literal(action),
                     Problem.status, Problem.status, comment,
                     literal({"step": step.key, "step_name": step.name}, JSON))
              .join(Problem, Problem.id == LadderFiring.problem_id)
              .outerjoin(Notice, Notice.id == LadderFiring.notice_id).where(fired))
    db.session.execute(insert(ProblemEvent).from_select(
        ["problem_id", "created_at", "action", "from_status", "to_status", "comment", "changes"], chosen))


def _recipients(step: LadderStep, round_col, unit_col):
    """Per audience of step: (audience, recipient kind "user" | "contact" | "unit", a function that adds
    the recipients' join to the SELECT over the new firings). LIAISON is the unit's liaison accounts, or
    the unit's own inbox (user_id NULL) when it has none; LEADER / HEAD the UnitContact rows; GROUP the
    members of the covering group (survey.permissions.coverage); ADMIN the administrators."""
    for audience in step.audience:
        if audience == "liaison":
            yield audience, "user", lambda q: q.join(User, and_(User.unit_id == unit_col, User.role == Role.UNIT.value,
                                                               User.is_disabled.is_(False)))
            yield audience, "unit", lambda q: q.where(~exists().where(
                User.unit_id == unit_col, User.role == Role.UNIT.value, User.is_disabled.is_(False)))
        elif audience in ("leader", "head"):
            yield audience, "contact", (lambda role: lambda q: q.join(UnitContact, and_(
                UnitContact.unit_id == unit_col, UnitContact.role == role)))(audience)
        elif audience == "group":
            covering = covering_group_column(round_col, unit_col)
            yield audience, "user", lambda q: (
                q.join(group_members, covering == group_members.c.group_id)
                .join(User, and_(User.id == group_members.c.user_id, User.is_disabled.is_(False))))
        elif audience == "admin":
            yield audience, "user", lambda q: q.join(User, and_(User.role == Role.ADMIN.value,
                                                               User.is_disabled.is_(False)))


def _insert_messages(step: LadderStep, base, fired, now: datetime, round_id: int, unit_col,
                     problem_col, subject, body, link_for, report: ScanReport) -> int:
    """For each audience of step, one INSERT ... SELECT of its Messages over the new firings."""
    total = 0
    notice_text = func.coalesce(_text("\n已印发") + Notice.number, _text(""))
    for audience, kind, join in _recipients(step, LadderFiring.round_id, unit_col):
        if kind == "user":
            suffix, user_id, contact_id = _text(":u") + _str(User.id), User.id, literal(None, Integer)
            who = User.display_name
        elif kind == "contact":
            suffix, user_id, contact_id = _text(":c") + _str(UnitContact.id), literal(None, Integer), UnitContact.id
            who = _text(AUDIENCE_LABELS[audience] + " ") + UnitContact.name
        else:
            suffix, user_id, contact_id = _text(":unit"), literal(None, Integer), literal(None, Integer)
            who = _text("单位收件箱")
        key = _text("f") + _str(LadderFiring.id) + suffix
        unit_inbox = unit_col if audience == "liaison" else literal(None, Integer)
        q = join(base.outerjoin(Notice, Notice.id == LadderFiring.notice_id))
        chosen = q.add_columns(key, user_id, contact_id, unit_inbox, literal(round_id), problem_col,
                               LadderFiring.notice_id, LadderFiring.id, subject, body + notice_text,
                               link_for(audience), literal(step.urgent), literal(now, Message.created_at.type)
                               ).where(fired, ~exists().where(_PAST_MESSAGE.c.dedupe_key == key))
        mark = db.session.scalar(select(func.max(Message.id))) or 0
        db.session.execute(insert(Message).from_select(
            ["dedupe_key", "user_id", "contact_id", "unit_id", "round_id", "problem_id", "notice_id", "firing_id",
             "subject", "body", "link", "urgent", "created_at"], chosen))
        lines = db.session.execute(select(Message.subject, Message.user_id, Message.contact_id, Message.unit_id)
                                   .where(Message.id > mark).order_by(Message.id)).all()
        total += len(lines)
        names = _names({r.user_id for r in lines if r.user_id}, {r.contact_id for r in lines if r.contact_id})
        for subject_text, uid, cid, unit_id in lines:
            whom = names.get(("u", uid)) if uid else names.get(("c", cid)) if cid else f"单位收件箱（单位 {unit_id}）"
            report.lines.append(f"{AUDIENCE_LABELS[audience]} {whom}：{subject_text}")
    return total


def _names(user_ids: set[int], contact_ids: set[int]) -> dict:
    out = {}
    if user_ids:
        out.update({("u", i): f"{n}（{u}）" for i, n, u in db.session.execute(
            select(User.id, User.display_name, User.username).where(User.id.in_(user_ids)))})
    if contact_ids:
        out.update({("c", i): n or "（未填姓名）" for i, n in db.session.execute(
            select(UnitContact.id, UnitContact.name).where(UnitContact.id.in_(contact_ids)))})
    return out


def _problem_messages(rnd: Round, step: LadderStep, fired, now: datetime, report: ScanReport) -> int:
    base = (select().select_from(LadderFiring).join(Problem, Problem.id == LadderFiring.problem_id)
            .join(Unit, Unit.id == LadderFiring.unit_id))
    subject = (_text(f"【{step.name}】") + Unit.name + _text(" 问题 ") + Problem.code
               + _text("（整改时限 ") + _str(LadderFiring.deadline) + _text("）"))
    body = (Unit.name + _text("：问题 ") + Problem.code + _text("（") + func.substr(Problem.description, 1, 80)
            + _text(f"）{step_phrase(step)}。"))
    link = _text("/ledger/") + _str(LadderFiring.problem_id)
    return _insert_messages(step, base, fired, now, rnd.id, LadderFiring.unit_id, LadderFiring.problem_id,
                            subject, body, lambda audience: link, report)


def _scan_self_checks(rnd: Round, steps: list[LadderStep], cal: WorkCalendar, now: datetime, today: date,
                      report: ScanReport) -> None:
    deadline = rnd.self_check_deadline
    due = [s for s in steps if cal.shift(deadline, s.offset_days, s.working_days) <= today]
    submitted = exists().where(Submission.round_id == rnd.id, Submission.unit_id == RoundUnit.unit_id,
                               Submission.kind == SubmissionKind.SELF_CHECK.value,
                               Submission.state == SubmissionState.SUBMITTED.value)
    for step in steps:
        sr = StepReport(rnd.id, rnd.name, step.id, step.key, step.name, step.target)
        report.steps.append(sr)
        if step not in due:
            continue
        is_latest = step is due[-1]
        mark = _mark()
        key = _text(f"r{rnd.id}:u") + _str(RoundUnit.unit_id) + _text(f":s{step.id}:{deadline.isoformat()}")
        chosen = (select(key, literal(step.id), RoundUnit.round_id, RoundUnit.unit_id, literal(None, Integer),
                         literal(deadline, Date), literal(cal.shift(deadline, step.offset_days, step.working_days), Date),
                         literal(now, LadderFiring.fired_at.type), literal(not is_latest, Boolean))
                  .join(Unit, Unit.id == RoundUnit.unit_id)
                  .where(RoundUnit.round_id == rnd.id, Unit.is_disabled.is_(False), ~submitted,
                         ~exists().where(_PAST_FIRING.c.dedupe_key == key)))
        db.session.execute(insert(LadderFiring).from_select(
            ["dedupe_key", "step_id", "round_id", "unit_id", "problem_id", "deadline", "due_on", "fired_at",
             "skipped"], chosen))
        new = and_(LadderFiring.id > mark, LadderFiring.step_id == step.id)
        n = db.session.scalar(select(func.count()).where(new)) or 0
        if not is_latest:
            sr.skipped = n
            continue
        sr.fired = n
        if not n:
            continue
        fired = and_(new, LadderFiring.skipped.is_(False))
        if step.notice_kind:
            sr.notices = _issue_self_check_notices(rnd, step, fired, today)
        base = select().select_from(LadderFiring).join(Unit, Unit.id == LadderFiring.unit_id)
        subject = _text(f"【{step.name}】") + Unit.name + _text(f" {rnd.name} 自查表（截止 {deadline.isoformat()}）")
        body = Unit.name + _text(f"：{rnd.name} 的自查表尚未提交，{self_check_phrase(step)}。")
        sr.messages = _insert_messages(
            step, base, fired, now, rnd.id, LadderFiring.unit_id, literal(None, Integer), subject, body,
            lambda audience: _text(f"/rounds/{rnd.id}/self-check" if audience == "liaison"
                                   else f"/rounds/{rnd.id}/progress"), report)


def _issue_self_check_notices(rnd: Round, step: LadderStep, fired, today: date) -> int:
    rows = db.session.execute(select(LadderFiring.id, LadderFiring.unit_id, Unit.name)
                              .join(Unit, Unit.id == LadderFiring.unit_id).where(fired).order_by(LadderFiring.id)).all()
    title = NOTICE_KINDS[step.notice_kind].title
    items = []
    for fid, unit_id, unit_name in rows:
        body = (f"{unit_name}：\n{rnd.name} 的自查截止日期为 {rnd.self_check_deadline.isoformat()}，你单位自查表尚未提交，"
                f"{self_check_phrase(step)}。请于收到本{title}后立即组织填报。")
        facts = {"round": rnd.name, "unit": unit_name, "deadline": rnd.self_check_deadline.isoformat(),
                 "step": step.name, "step_key": step.key, "offset_days": step.offset_days}
        items.append({"unit_id": unit_id, "step_id": step.id, "body": body, "facts": facts})
    return _issue_and_link(rnd, step, items, [r[0] for r in rows], today)
