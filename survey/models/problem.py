"""The problem ledger (问题台账): a problem, its append-only history and its evidence."""
from __future__ import annotations

import enum
import re
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime
from survey.models.round import Round
from survey.models.unit import Unit
from survey.models.user import User


class ProblemStatus(enum.StrEnum):
    """A problem's status, stored as its value; .label is what people read."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    PENDING_REVIEW = "pending_review"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


class ProblemSource(enum.StrEnum):
    """How a problem was found (发现方式)."""

    SELF_CHECK = "self_check"
    VISIT = "visit"
    DAILY = "daily"
    IMPORT = "import"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


STATUS_LABELS = {ProblemStatus.OPEN: "待整改", ProblemStatus.IN_PROGRESS: "整改中",
                 ProblemStatus.PENDING_REVIEW: "待核验", ProblemStatus.CLOSED: "已销号",
                 ProblemStatus.CANCELLED: "已撤销"}
SOURCE_LABELS = {ProblemSource.SELF_CHECK: "自查", ProblemSource.VISIT: "上门问诊",
                 ProblemSource.DAILY: "日常监督", ProblemSource.IMPORT: "导入"}
# Still to be rectified (counted as 未销号, can go overdue), in the ledger's order; and the end states.
OPEN = (ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS, ProblemStatus.PENDING_REVIEW)
FINAL = (ProblemStatus.CLOSED, ProblemStatus.CANCELLED)


def close_rate(by_status: dict[str, int]) -> float | None:
    """整改率 (the close-out rate) = 已销号 / (全部 − 已撤销), from counts by status; None when
    nothing counts."""
    countable = sum(by_status.values()) - by_status.get(ProblemStatus.CANCELLED, 0)
    return by_status.get(ProblemStatus.CLOSED, 0) / countable if countable else None


def status_label(code: str | None) -> str:
    """The Chinese label of a stored status code; '' for none, the code itself when unknown."""
    return STATUS_LABELS.get(code, code or "") if code else ""


def source_label(code: str | None) -> str:
    return SOURCE_LABELS.get(code, code or "") if code else ""


class Problem(Base):
    """A row of the problem ledger (问题台账). Statuses are stored as codes, shown in Chinese."""

    __tablename__ = "problems"
    __table_args__ = (
        Index("ix_problems_unit_status", "unit_id", "status"),
        Index("ix_problems_round_status", "round_id", "status"),
        Index("ix_problems_status_deadline", "status", "deadline", "round_id", "unit_id", "id"),
        Index("ix_problems_deadline", "deadline"),
        Index("ix_problems_code_key", "code_key"),
        Index("ix_problems_status_code_key", "status", "code_key"),
        Index("ix_problems_round_code_key", "round_id", "code_key"),
        Index("ix_problems_unit_code_key", "unit_id", "code_key"),
        Index("ix_problems_category_code_key", "category", "code_key"),
        Index("ix_problems_severity_code_key", "severity", "code_key"),
        Index("ix_problems_source_code_key", "source", "code_key"),
        # the dashboard (migration b3e0c2d4f6a8): each of its GROUP BYs reads one of these alone, in order
        Index("ix_problems_round_status_unit", "round_id", "status", "unit_id", "deadline"),
        Index("ix_problems_round_breakdown", "round_id", "category", "severity", "source", "unit_id"),
        Index("ix_problems_round_found", "round_id", "found_on", "unit_id"),
        Index("ix_problems_status_round_closed", "status", "round_id", "closed_at", "found_on", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # 编号 as it sorts: digit runs zero-padded, so 2023-999 comes before 2023-1000 (set with code)
    code_key: Mapped[str] = mapped_column(String(64), default="", server_default="")
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))              # a ProblemSource
    found_on: Mapped[date] = mapped_column(Date)
    severity: Mapped[str] = mapped_column(String(8), default="一般")
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ProblemStatus.OPEN.value, index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    question_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responsible_person: Mapped[str] = mapped_column(String(64), default="")   # 责任人
    measures: Mapped[str] = mapped_column(Text, default="")                  # 整改措施
    planned_on: Mapped[date | None] = mapped_column(Date)                     # 计划完成
    progress: Mapped[str] = mapped_column(Text, default="")                  # 整改进展
    result: Mapped[str] = mapped_column(Text, default="")                    # 完成情况
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)          # 销号时间
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # 销号人
    extension_deadline: Mapped[date | None] = mapped_column(Date)             # 延期申请：新时限
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[Unit] = relationship()
    round: Mapped[Round | None] = relationship()
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    events: Mapped[list[ProblemEvent]] = relationship(order_by="ProblemEvent.id", viewonly=True)
    evidence: Mapped[list[Evidence]] = relationship(order_by="Evidence.id", viewonly=True)

    __mapper_args__ = {"version_id_col": lock_version}

    @validates("code")
    def _keep_code_key(self, key: str, value: str) -> str:
        self.code_key = code_sort_key(value)
        return value


def code_sort_key(code: str) -> str:
    """The 编号 with every run of digits padded to 10: natural order under plain string comparison."""
    return re.sub(r"\d+", lambda m: m.group().zfill(10), code or "")[:64]


class ProblemEvent(Base):
    """Append-only history of a problem: who, when, from, to, comment, changed fields."""

    __tablename__ = "problem_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(16), default="")
    to_status: Mapped[str] = mapped_column(String(16), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class Evidence(Base):
    """佐证材料: a photo or document attached to a problem, checked by content."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(8))        # jpg png pdf docx xlsx
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
