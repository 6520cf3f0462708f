"""Rounds (检查批次) and the units in scope, with the group that visits each."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime
from survey.models.group import SupervisionGroup
from survey.models.questionnaire import QuestionnaireVersion
from survey.models.unit import Unit


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    self_check_version: Mapped[QuestionnaireVersion] = relationship(foreign_keys=[self_check_version_id])
    onsite_version: Mapped[QuestionnaireVersion] = relationship(foreign_keys=[onsite_version_id])
    scope: Mapped[list[RoundUnit]] = relationship(back_populates="round", cascade="all, delete-orphan")


class RoundUnit(Base):
    """A unit in a round's scope, and the group that visits it in this round."""

    __tablename__ = "round_units"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_groups.id"), index=True)

    round: Mapped[Round] = relationship(back_populates="scope")
    unit: Mapped[Unit] = relationship()
    group: Mapped[SupervisionGroup | None] = relationship()
