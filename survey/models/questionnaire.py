"""Questionnaires, their immutable published versions, sections and questions."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime


class QuestionnaireKind(str, enum.Enum):
    SELF_CHECK = "self_check"
    ONSITE = "onsite"
    GENERAL = "general"


KIND_LABELS = {"self_check": "单位自查表", "onsite": "上门问诊记录表", "general": "通用问卷"}


class VersionState(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


STATE_LABELS = {"draft": "草稿", "published": "已发布"}


class QuestionType(str, enum.Enum):
    CHECK = "check"
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"
    TEXTAREA = "textarea"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    PHOTO = "photo"
    SCORE = "score"
    NOTE = "note"


TYPE_LABELS = {
    "check": "检查项（是/否/不适用）", "single": "单选", "multiple": "多选", "text": "单行文本",
    "textarea": "多行文本", "integer": "整数", "decimal": "小数", "date": "日期", "photo": "照片",
    "score": "评分", "note": "说明（只读）",
}
CHOICE_TYPES = {"single", "multiple"}
CHECK_CHOICES = [{"name": "yes", "label": "是"}, {"name": "no", "label": "否"}, {"name": "na", "label": "不适用"}]
SEVERITIES = ("一般", "较重", "严重")


class Questionnaire(Base):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=QuestionnaireKind.GENERAL.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number",
        cascade="all, delete-orphan")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def draft(self) -> QuestionnaireVersion | None:
        return next((v for v in self.versions if v.state == VersionState.DRAFT.value), None)

    @property
    def latest_published(self) -> QuestionnaireVersion | None:
        published = [v for v in self.versions if v.state == VersionState.PUBLISHED.value]
        return published[-1] if published else None


class QuestionnaireVersion(Base):
    """One version of a questionnaire. Published versions never change (see versioning.py)."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default=VersionState.DRAFT.value)
    title: Mapped[str] = mapped_column(String(200))
    choices: Mapped[dict] = mapped_column(JSON, default=dict)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lock_version: Mapped[int] = mapped_column(default=1)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")
    sections: Mapped[list[Section]] = relationship(
        back_populates="version", order_by="Section.position", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_published(self) -> bool:
        return self.state == VersionState.PUBLISHED.value

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question_named(self, name: str) -> Question | None:
        return next((q for q in self.questions if q.name == name), None)


class Section(Base):
    __tablename__ = "questionnaire_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    hint: Mapped[str] = mapped_column(Text, default="")
    relevant: Mapped[str] = mapped_column(Text, default="")
    relevant_ast: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    version: Mapped[QuestionnaireVersion] = relationship(back_populates="sections")
    questions: Mapped[list[Question]] = relationship(
        back_populates="section", order_by="Question.position", cascade="all, delete-orphan")


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("version_id", "name"),
        Index("ix_questions_section_position", "section_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_sections.id"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    required_message: Mapped[str] = mapped_column(String(200), default="")
    choice_list: Mapped[str | None] = mapped_column(String(64))
    appearance: Mapped[str] = mapped_column(String(64), default="")
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    points: Mapped[int | None]
    relevant: Mapped[str] = mapped_column(Text, default="")
    relevant_ast: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    constraint: Mapped[str] = mapped_column(Text, default="")
    constraint_ast: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    constraint_message: Mapped[str] = mapped_column(String(200), default="")
    problem_if: Mapped[str] = mapped_column(Text, default="")
    problem_if_ast: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    problem_category: Mapped[str] = mapped_column(String(32), default="")
    problem_severity: Mapped[str] = mapped_column(String(8), default="")

    section: Mapped[Section] = relationship(back_populates="questions")
    version: Mapped[QuestionnaireVersion] = relationship()

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)

    def options(self, version: QuestionnaireVersion) -> list[dict]:
        if self.type == QuestionType.CHECK.value:
            return CHECK_CHOICES
        return version.choices.get(self.choice_list or "", [])
