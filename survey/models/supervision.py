"""督办 (supervision that reaches people): the working-day calendar, each round's ladder of
reminders and notices, what the ladder fired, numbered notices, the in-app inbox, and the message
channels with every delivery attempt.

The flow: the reminder scan walks the ladder (LadderStep) over open problems and unsent self-checks;
each step that falls due fires once per target (LadderFiring, unique dedupe_key), may issue a
numbered Notice (NoticeCounter: numbered per round and kind, never reused), and writes Messages to
the people the step reaches. Each Message is shown in the recipient's inbox and delivered over the
recipient's Channels; every attempt is a Delivery.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime
from survey.models.round import Round
from survey.models.unit import Unit
from survey.models.user import User


class DayKind(enum.StrEnum):
    """A local exception to the official calendar, added by an administrator."""

    OFF = "off"      # a local day off (本地休息日)
    WORK = "work"    # a local working day (本地调休上班)


class CalendarDay(Base):
    """One local exception to chinese-calendar's official holidays and 调休 days."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))              # a DayKind
    note: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ContactRole(enum.StrEnum):
    """The people above a unit's liaison whom the ladder may reach."""

    LEADER = "leader"   # 分管领导
    HEAD = "head"       # 主要负责人

    @property
    def label(self) -> str:
        return {ContactRole.LEADER: "分管领导", ContactRole.HEAD: "主要负责人"}[self]


class UnitContact(Base):
    """A unit's 分管领导 or 主要负责人: who they are and where messages reach them."""

    __tablename__ = "unit_contacts"
    __table_args__ = (UniqueConstraint("unit_id", "role", name="uq_unit_contacts_unit_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(16))             # a ContactRole
    name: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    wecom_id: Mapped[str] = mapped_column(String(64), default="")     # 企业微信 userid
    dingtalk_id: Mapped[str] = mapped_column(String(64), default="")  # 钉钉 userid / mobile
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()


class LadderTarget(enum.StrEnum):
    PROBLEM = "problem"        # counted from a problem's 整改时限 (deadline / extension)
    SELF_CHECK = "self_check"  # counted from the round's self-check deadline, for units not submitted


class Audience(enum.StrEnum):
    """Whom a step reaches, from the unit upwards (a step lists one or more)."""

    LIAISON = "liaison"    # the unit's liaison accounts (and the unit's signed-link inbox)
    LEADER = "leader"      # the unit's 分管领导 (UnitContact)
    HEAD = "head"          # the unit's 主要负责人 (UnitContact)
    GROUP = "group"        # the members of the covering 督导组
    ADMIN = "admin"        # the administrators


class LadderStep(Base):
    """One rung of a round's ladder: when it fires (offset from the deadline, in working or
    calendar days), whom it reaches, over which channels, and which numbered notice it issues."""

    __tablename__ = "ladder_steps"
    __table_args__ = (UniqueConstraint("round_id", "target", "key", name="uq_ladder_steps_round_target_key"),
                      Index("ix_ladder_steps_round_target_position", "round_id", "target", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    target: Mapped[str] = mapped_column(String(16))           # a LadderTarget
    key: Mapped[str] = mapped_column(String(32))              # stable id within the round, e.g. "remind_10"
    position: Mapped[int] = mapped_column(default=0)          # order on the ladder
    name: Mapped[str] = mapped_column(String(32))             # 临期提醒, 到期督办, 逾期告诫, 约谈通报
    offset_days: Mapped[int] = mapped_column(default=0)       # <0 before the deadline, 0 on it, >0 after
    working_days: Mapped[bool] = mapped_column(default=True)  # count offset_days in working days
    audience: Mapped[list] = mapped_column(JSON, default=list)   # Audience values
    channels: Mapped[list] = mapped_column(JSON, default=list)   # channel kinds beyond the inbox
    notice_kind: Mapped[str] = mapped_column(String(16), default="")  # "" = no notice; else a notice kind key
    urgent: Mapped[bool] = mapped_column(default=False)       # sent at once, not in the daily digest
    flag_admin: Mapped[bool] = mapped_column(default=False)   # listed in the administrator's 待办 (约谈/通报)
    enabled: Mapped[bool] = mapped_column(default=True)
    lock_version: Mapped[int] = mapped_column(default=1)

    round: Mapped[Round] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


class LadderFiring(Base):
    """A step fired for one target: once per (step, problem) or (step, round, unit) and deadline,
    guarded by dedupe_key. For a problem it is mirrored by a ProblemEvent on its timeline; for a
    self-check it is the self-check's timeline entry."""

    __tablename__ = "ladder_firings"
    __table_args__ = (Index("ix_ladder_firings_round_unit", "round_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("ladder_steps.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date)              # the deadline the step was counted from
    due_on: Mapped[date] = mapped_column(Date)                # the day the step fell due
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # True: the step fell due together with a later one (a first scan of a long-overdue problem) and
    # was recorded without sending, so that only the latest due step reaches people
    skipped: Mapped[bool] = mapped_column(default=False)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))

    step: Mapped[LadderStep] = relationship()
    notice: Mapped[Notice | None] = relationship(foreign_keys=[notice_id])


class NoticeCounter(Base):
    """The last number issued per round and notice kind: numbers only go up, never reused."""

    __tablename__ = "notice_counters"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class Notice(Base):
    """A numbered notice (e.g. 〔2023〕督办第012号 in round 2023): 提醒书, 督办单, 告诫书, 通报 ..."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("round_id", "kind", "seq", name="uq_notices_round_kind_seq"),
                      Index("ix_notices_unit", "unit_id", "issued_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    kind: Mapped[str] = mapped_column(String(16))             # notice kind key
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(64))   # 〔2023〕督办第012号: the round's code, kind, seq
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("ladder_steps.id"))
    title: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[dict] = mapped_column(JSON, default=dict)   # the template's fields, frozen at issue
    issued_on: Mapped[date] = mapped_column(Date)             # China date of issue
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None = the scan

    round: Mapped[Round] = relationship()
    unit: Mapped[Unit] = relationship()


class Message(Base):
    """One item in a recipient's inbox (消息): a user account, or a unit contact without one.
    unit_id lets the unit's signed-link session see the unit's messages."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_user_read", "user_id", "read_at", "id"),
                      Index("ix_messages_unit", "unit_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("unit_contacts.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    firing_id: Mapped[int | None] = mapped_column(ForeignKey("ladder_firings.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")   # a path inside the app
    urgent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    contact: Mapped[UnitContact | None] = relationship()
    notice: Mapped[Notice | None] = relationship()


class ChannelKind(enum.StrEnum):
    EMAIL = "email"        # SMTP (mailto:// / mailtos:// Apprise URL)
    WECOM = "wecom"        # 企业微信 group robot
    DINGTALK = "dingtalk"  # 钉钉 custom robot, with its signing secret
    WEBHOOK = "webhook"    # a generic JSON webhook (json:// / jsons://)

    @property
    def label(self) -> str:
        return {ChannelKind.EMAIL: "电子邮件", ChannelKind.WECOM: "企业微信机器人",
                ChannelKind.DINGTALK: "钉钉机器人", ChannelKind.WEBHOOK: "政务平台接口"}[self]


class Channel(Base):
    """One Apprise URL that carries messages for a unit, a group, a user or a unit contact."""

    __tablename__ = "channels"
    __table_args__ = (Index("ix_channels_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))     # unit | group | user | contact
    owner_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))           # a ChannelKind
    label: Mapped[str] = mapped_column(String(64), default="")
    url: Mapped[str] = mapped_column(Text)                  # the Apprise URL (holds secrets: never shown back whole)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_test_error: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"    # waiting for its digest or its retry time
    SENT = "sent"
    FAILED = "failed"      # the last attempt failed; retried at next_attempt_at until attempts run out
    DEAD = "dead"          # gave up; listed for the administrator to resend


class Delivery(Base):
    """A message carried over one channel: its status, attempts and last error. A digest sends
    several deliveries of one recipient and channel as one message (digest_key)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("message_id", "channel_id", name="uq_deliveries_message_channel"),
                      Index("ix_deliveries_status_next", "status", "next_attempt_at"),
                      Index("ix_deliveries_channel_status", "channel_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    digest_key: Mapped[str] = mapped_column(String(120), default="", index=True)  # recipient+channel+day
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship()
    channel: Mapped[Channel] = relationship()


class DeliveryAttempt(Base):
    """One try at carrying a delivery: when, whether it went, and what the channel said."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(Text, default="")
