"""The one place notices get their numbers: 〔2023〕督办第012号 — the round's code in the brackets (the
prefix of its problem numbers, usually its year), then the kind and the sequence, numbered per round and
kind, never reused (a counter row per round and kind that only goes up, bumped inside the issuing transaction)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from survey import clock
from survey.extensions import db
from survey.models import Notice, NoticeCounter, Round


@dataclass(frozen=True)
class NoticeKind:
    key: str
    title: str     # the document's name: 督办单
    word: str      # the word in its number: 〔2026〕督办第012号


NOTICE_KINDS: dict[str, NoticeKind] = {k.key: k for k in (
    NoticeKind("remind", "整改提醒函", "提醒"),
    NoticeKind("duban", "督办单", "督办"),
    NoticeKind("warn", "告诫书", "告诫"),
    NoticeKind("report", "通报", "通报"),
    NoticeKind("selfcheck", "自查催办通知", "催办"),
)}


def notice_kind(key: str) -> NoticeKind:
    return NOTICE_KINDS[key]


def format_number(round_code: str, kind: str, seq: int) -> str:
    return f"〔{round_code}〕{NOTICE_KINDS[kind].word}第{seq:03d}号"


def next_seq(round_id: int, kind: str) -> int:
    """Reserve the next number of this kind in this round. The UPDATE row-locks the counter on
    PostgreSQL; SQLite's write transaction is already exclusive (BEGIN IMMEDIATE)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(NoticeCounter).values(round_id=round_id, kind=kind, last_seq=0)
                       .on_conflict_do_nothing(index_elements=["round_id", "kind"]))
    db.session.execute(update(NoticeCounter)
                       .where(NoticeCounter.round_id == round_id, NoticeCounter.kind == kind)
                       .values(last_seq=NoticeCounter.last_seq + 1))
    return db.session.execute(select(NoticeCounter.last_seq).where(
        NoticeCounter.round_id == round_id, NoticeCounter.kind == kind)).scalar_one()


def issue_notice(rnd: Round, kind: str, unit_id: int, *, problem_id: int | None = None,
                 step_id: int | None = None, body: str = "", facts: dict | None = None,
                 issued_by_id: int | None = None, on: date | None = None) -> Notice:
    """Issue a numbered notice in the caller's transaction (flushes, never commits), dated today's
    China date unless `on` is given."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    day = on or clock.today()
    seq = next_seq(rnd.id, kind)
    notice = Notice(round_id=rnd.id, kind=kind, seq=seq, number=format_number(rnd.code, kind, seq),
                    unit_id=unit_id, problem_id=problem_id, step_id=step_id,
                    title=NOTICE_KINDS[kind].title, body=body, facts=dict(facts or {}),
                    issued_on=day, issued_by_id=issued_by_id)
    db.session.add(notice)
    db.session.flush()
    return notice


def reserve_seqs(round_id: int, kind: str, count: int) -> int:
    """Reserve count consecutive numbers of this kind in this round at once; returns the first. The
    same counter row as next_seq, bumped by count in one UPDATE (for the reminder scan's batches)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(NoticeCounter).values(round_id=round_id, kind=kind, last_seq=0)
                       .on_conflict_do_nothing(index_elements=["round_id", "kind"]))
    db.session.execute(update(NoticeCounter)
                       .where(NoticeCounter.round_id == round_id, NoticeCounter.kind == kind)
                       .values(last_seq=NoticeCounter.last_seq + count))
    last = db.session.execute(select(NoticeCounter.last_seq).where(
        NoticeCounter.round_id == round_id, NoticeCounter.kind == kind)).scalar_one()
    return last - count + 1


def issue_notices(rnd: Round, kind: str, items: list[dict], *, issued_by_id: int | None = None,
                  on: date | None = None) -> int:
    """Issue many notices of one kind in one round (flushes, never commits): numbered in the order of
    items, exactly as that many issue_notice calls would number them. Each item: unit_id, and optionally
    problem_id, step_id, body, facts. One counter update and one bulk INSERT (executemany); returns the
    first number: item i has number first + i."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    if not items:
        return 0
    day = on or clock.today()
    first = reserve_seqs(rnd.id, kind, len(items))
    now = clock.utcnow()
    rows = [{"round_id": rnd.id, "kind": kind, "seq": first + i, "number": format_number(rnd.code, kind, first + i),
             "unit_id": it["unit_id"], "problem_id": it.get("problem_id"), "step_id": it.get("step_id"),
             "title": NOTICE_KINDS[kind].title, "body": it.get("body", ""), "facts": dict(it.get("facts") or {}),
             "issued_on": day, "issued_at": now, "issued_by_id": issued_by_id} for i, it in enumerate(items)]
    from sqlalchemy import insert as core_insert
    db.session.execute(core_insert(Notice), rows)
    return first
