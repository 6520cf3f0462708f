"""What a unit (self-check) or a group (visit) fills in a round, and the photos taken for it."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime
from survey.models.questionnaire import QuestionnaireVersion
from survey.models.round import Round
from survey.models.unit import Unit


class SubmissionKind(str, enum.Enum):
    SELF_CHECK = "self_check"
    VISIT = "visit"


class SubmissionState(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Submission(Base):
    """A unit's self-check or a group's visit in a round: one of each per unit and round."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("round_id", "unit_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    state: Mapped[str] = mapped_column(String(16), default=SubmissionState.DRAFT.value)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)      # visit: date, place, members, attendees
    found: Mapped[list] = mapped_column(JSON, default=list)      # visit: reviewed problem list
    submit_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    lock_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    round: Mapped[Round] = relationship()
    unit: Mapped[Unit] = relationship()
    version: Mapped[QuestionnaireVersion] = relationship()
    photos: Mapped[list[Photo]] = relationship(back_populates="submission", order_by="Photo.id",
                                               cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_submitted(self) -> bool:
        return self.state == SubmissionState.SUBMITTED.value

    @property
    def is_late(self) -> bool:
        """A self-check submitted after the round's self-check deadline (逾期提交)."""
        return (self.kind == SubmissionKind.SELF_CHECK.value and self.is_submitted
                and self.round.submitted_late(self.submitted_at))


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("submission_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    question_name: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64))          # the phone's id for the upload: retries are idempotent
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    submission: Mapped[Submission] = relationship(back_populates="photos")
