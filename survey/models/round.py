"""Rounds (检查批次) and the units in scope, with the group that visits each."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import china_date, today, utcnow
from survey.models.base import Base, UTCDateTime
from survey.models.group import SupervisionGroup
from survey.models.questionnaire import SEVERITIES, QuestionnaireVersion
from survey.models.unit import Unit

# 整改时限 a round gives a problem by default, in days after it was found, per severity (严重程度,
# the vocabulary of survey.models.questionnaire.SEVERITIES); the round's columns, in this order.
DEFAULT_DEADLINE_DAYS = {"一般": 30, "较重": 20, "严重": 10}
DEADLINE_DAYS_COLUMNS = {"一般": "deadline_days_general", "较重": "deadline_days_major",
                         "严重": "deadline_days_severe"}
if tuple(DEADLINE_DAYS_COLUMNS) != SEVERITIES or tuple(DEFAULT_DEADLINE_DAYS) != SEVERITIES:
    raise RuntimeError("every severity needs exactly one default 整改时限 column")


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    code: Mapped[str] = mapped_column(String(16))  # prefix of problem numbers, e.g. "2023"
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    self_check_deadline: Mapped[date] = mapped_column(Date)
    self_check_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    onsite_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    problem_seq: Mapped[int] = mapped_column(default=0)
    deadline_days_general: Mapped[int] = mapped_column(default=30, server_default="30")   # 一般
    deadline_days_major: Mapped[int] = mapped_column(default=20, server_default="20")     # 较重
    deadline_days_severe: Mapped[int] = mapped_column(default=10, server_default="10")    # 严重
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    self_check_version: Mapped[QuestionnaireVersion] = relationship(foreign_keys=[self_check_version_id])
    onsite_version: Mapped[QuestionnaireVersion] = relationship(foreign_keys=[onsite_version_id])
    scope: Mapped[list[RoundUnit]] = relationship(back_populates="round", cascade="all, delete-orphan")

    # The round's state: the one place that says whether it still takes work, and what is late.

    def has_ended(self, day: date) -> bool:
        """Past the round's last day (day is a China date, clock.today()): no self-check or visit
        may be submitted or saved any more, by a login or by a signed link."""
        return day > self.ends_on

    @property
    def is_closed(self) -> bool:
        """has_ended today (China date): what pages ask to say 本批次已结束 instead of offering 提交."""
        return self.has_ended(today())

    def ended_message(self, day: date) -> str | None:
        """Why nothing can be submitted in the round on day, in Chinese, or None while it is open."""
        return f"本批次已于 {self.ends_on} 结束，不能再提交或修改" if self.has_ended(day) else None

    def self_check_late(self, day: date) -> bool:
        """A self-check not in by day is late (逾期); one submitted on day is 逾期提交."""
        return day > self.self_check_deadline

    def deadline_days(self, severity: str) -> int:
        """The round's default 整改时限 for a severity, in days (一般 for an unknown one)."""
        return getattr(self, DEADLINE_DAYS_COLUMNS.get(severity, "deadline_days_general"))

    def default_deadline(self, severity: str, found_on: date) -> date:
        """The 整改时限 a problem of severity found on found_on gets unless someone types another."""
        return found_on + timedelta(days=self.deadline_days(severity))

    def default_deadlines(self, found_on: date) -> dict[str, str]:
        """Each severity's default 整改时限 from found_on, as ISO dates (for the review page)."""
        return {s: self.default_deadline(s, found_on).isoformat() for s in DEADLINE_DAYS_COLUMNS}

    def submitted_late(self, submitted_at: datetime | None) -> bool:
        """A self-check submitted at that moment came after its deadline (逾期提交)."""
        return submitted_at is not None and self.self_check_late(china_date(submitted_at))


class RoundUnit(Base):
    """A unit in a round's scope, and the group that visits it in this round."""

    __tablename__ = "round_units"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_groups.id"), index=True)

    round: Mapped[Round] = relationship(back_populates="scope")
    unit: Mapped[Unit] = relationship()
    group: Mapped[SupervisionGroup | None] = relationship()
