"""Importing an existing problem ledger (.xlsx) into a round: a plan first (what would be imported,
every error with its row and column), then all rows or none. Flush only; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey import audit
from survey.clock import china_date, today
from survey.errors import Conflict, ValidationFailed
from survey.extensions import db
from survey.ledger import creation
from survey.ledger.import_read import RowError, read_ledger
from survey.ledger.import_values import clean_row
from survey.models import ProblemStatus, Problem, Round, Unit, User

MAX_BYTES = 5 * 1024 * 1024
PREVIEW_ROWS = 50
FAILED = "导入失败，未导入任何数据。请修改以下错误后重新上传："


@dataclass
class Plan:
    round: Round
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    sheet: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """Status label -> rows, in the ledger's order."""
        counts = {s: sum(1 for r in self.rows if r["status"] == s) for s in ProblemStatus}
        return {s.label: n for s, n in counts.items() if n}

    @property
    def preview(self) -> list[dict]:
        return self.rows[:PREVIEW_ROWS]

    def summary(self) -> str:
        parts = "，".join(f"{label} {n}" for label, n in self.counts.items())
        return f"{len(self.rows)} 个问题（{parts}）" if self.rows else "0 个问题"




def plan_import(data: bytes, rnd: Round, max_bytes: int = MAX_BYTES) -> Plan:
    """Read and check the whole file against the database; writes nothing. The file is read before
    the database (or rnd's attributes) is touched, so a caller may end its transaction first."""
    sheet = read_ledger(data, max_bytes)
    plan = Plan(round=rnd, errors=list(sheet.errors), notices=list(sheet.notices), sheet=sheet.title)
    row_errors: list[RowError] = []
    plan.rows = [clean_row(number, raw, sheet.headers, row_errors) for number, raw in sheet.rows]
    plan.errors += row_errors
    if plan.rows:
        _check_units(plan, sheet.headers.get("unit", "责任单位"))
        _check_codes(plan, sheet.headers.get("code", "编号"))
        _default_found_on(plan)
        _explain(plan)
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _check_units(plan: Plan, column: str) -> None:
    known = {name: unit_id for name, unit_id in db.session.execute(select(Unit.name, Unit.id))}
    unknown: dict[str, list[int]] = {}
    for row in plan.rows:
        row["unit_id"] = known.get(row["unit"])
        if row["unit"] and row["unit_id"] is None:
            unknown.setdefault(row["unit"], []).append(row["row"])
    for name, rows in unknown.items():
        where = "、".join(str(n) for n in rows[:20]) + (" 等" if len(rows) > 20 else "")
        plan.errors.append(RowError(rows[0], column, f"系统中没有单位“{name}”（第 {where} 行，共 {len(rows)} 行），"
                                                     "单位名称须与系统中的完全一致"))


def _check_codes(plan: Plan, column: str) -> None:
    seen: dict[str, int] = {}
    for row in plan.rows:
        code = row["code"]
        if not code:
            continue
        if code in seen:
            plan.errors.append(RowError(row["row"], column, f"编号“{code}”与第 {seen[code]} 行重复"))
        else:
            seen[code] = row["row"]
    codes = list(seen)
    taken: set[str] = set()
    for i in range(0, len(codes), 500):
        taken.update(db.session.scalars(select(Problem.code).where(Problem.code.in_(codes[i:i + 500]))))
    for code in sorted(taken, key=seen.get):
        plan.errors.append(RowError(seen[code], column, f"编号“{code}”已被系统中的其他问题使用"))


def _default_found_on(plan: Plan) -> None:
    """A problem needs a 发现时间: blank ones become the day of import, or the row's earlier
    deadline or close date (so that no deadline comes before the finding)."""
    for row in plan.rows:
        if row["found_on"] is None:
            closed_on = china_date(row["closed_at"]) if row["closed_at"] else None
            row["found_on"] = min(d for d in (today(), row["deadline"], closed_on) if d)
            row["found_on_defaulted"] = True


def _explain(plan: Plan) -> None:
    rows, n = plan.rows, len(plan.rows)
    from_file = sum(1 for r in rows if r["code"])
    if from_file:
        plan.notices.append(f"{from_file} 行使用表中“编号”列的编号作为问题编号。")
    if n - from_file:
        seq = max(plan.round.problem_seq, creation.highest_in_pattern(plan.round, [r["code"] for r in rows]))
        start = f"{plan.round.code}-{seq + 1:03d}"
        numbers = sum(1 for r in rows if r["code_was_number"])
        why = f"（其中 {numbers} 行的编号是纯数字，视为序号）" if numbers else ""
        plan.notices.append(f"{n - from_file} 行没有编号{why}，将按批次“{plan.round.name}”的顺序自动编号"
                            f"（约从 {start} 起）。")
    counts = {"found_on_defaulted": "未填发现时间，记为导入当天（整改时限或销号时间更早的，记为其中较早的日期）",
              "deadline_kept_open": "整改时限为“长期坚持”“立行立改”等，导入后不设整改时限"}
    for key, text in counts.items():
        if k := sum(1 for r in rows if r.get(key)):
            plan.notices.append(f"{k} 行{text}。")
    if k := sum(1 for r in rows if r["status"] == ProblemStatus.CLOSED and r["closed_at"] is None):
        plan.notices.append(f"{k} 个{ProblemStatus.CLOSED.label}的问题没有销号时间，导入后销号时间留空。")


def import_ledger(actor: User | None, data: bytes, rnd: Round, filename: str = "") -> Plan:
    """Create every row's problem with an import event, or raise ValidationFailed with all errors."""
    plan = plan_import(data, rnd)
    if plan.errors:
        raise ValidationFailed(FAILED, plan.errors)
    missing = sum(1 for r in plan.rows if not r["code"])
    actor_id = actor.id if actor is not None else None
    try:
        problems = creation.create_problems(rnd, [_values(row) for row in plan.rows], actor_id=actor_id,
                                            action="import", comment="从台账导入",
                                            changes=[{"row": row["row"]} for row in plan.rows])
    except IntegrityError as exc:  # a number was taken between the check and now
        raise Conflict("导入期间编号被占用，未导入任何数据，请重新上传") from exc
    by_status = {s.value: sum(1 for p in problems if p.status == s) for s in ProblemStatus}
    audit.record("ledger_import", actor=actor, actor_username="" if actor else "cli", target=rnd,
                 details={"file": filename[:200], "sheet": plan.sheet, "total": len(problems),
                          "by_status": {k: v for k, v in by_status.items() if v},
                          "codes_from_file": len(problems) - missing, "codes_allocated": missing})
    db.session.flush()
    return plan


def _values(row: dict) -> dict:
    names = ("code", "unit_id", "category", "description", "source", "found_on", "severity", "deadline", "status",
             "responsible_person", "measures", "progress", "result", "closed_at")
    return {name: row[name] for name in names}


def latest_round() -> Round | None:
    return db.session.scalar(select(Round).order_by(Round.id.desc()).limit(1))
