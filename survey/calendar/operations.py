"""Local exceptions to the official calendar: an administrator adds or removes a day."""
from __future__ import annotations

from datetime import date

from survey import audit
from survey.errors import DomainError
from survey.extensions import db
from survey.models import CalendarDay, DayKind, User

KIND_LABELS = {DayKind.OFF.value: "本地休息日", DayKind.WORK.value: "本地调休上班"}


def add_exception(actor: User, *, day: date | None, kind: str, note: str = "") -> CalendarDay:
    if day is None:
        raise DomainError("请选择日期", field="day")
    if kind not in KIND_LABELS:
        raise DomainError("请选择“本地休息日”或“本地调休上班”", field="kind")
    if db.session.get(CalendarDay, day) is not None:
        raise DomainError(f"{day.isoformat()} 已有本地例外，请先删除再添加", field="day")
    row = CalendarDay(day=day, kind=kind, note=note.strip()[:100], created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("calendar_day_add", actor=actor, details={"day": day.isoformat(), "kind": kind, "note": row.note})
    return row


def remove_exception(actor: User, day: date | None) -> None:
    row = db.session.get(CalendarDay, day) if day else None
    if row is None:
        raise DomainError("该日期没有本地例外", field="day")
    db.session.delete(row)
    db.session.flush()
    audit.record("calendar_day_remove", actor=actor, details={"day": day.isoformat(), "kind": row.kind})
