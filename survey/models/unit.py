"""Units under supervision (被督导单位)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime

if TYPE_CHECKING:
    from survey.models.group import SupervisionGroup
    from survey.models.user import User

UNIT_CATEGORIES = ("党委部门", "政府部门", "群团组织", "事业单位", "街道乡镇", "其他")


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    category: Mapped[str] = mapped_column(String(32), default="其他")
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_groups.id"), index=True)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[SupervisionGroup | None] = relationship(back_populates="units")
    liaisons: Mapped[list[User]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"
