"""The list of problem categories (问题类别), editable by administrators."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime

# The list a new database starts with: the six 六型 sections, then 作风建设, 制度建设, 其他.
DEFAULT_CATEGORIES = ("政治机关", "学习型机关", "服务型机关", "法治型机关", "廉洁型机关", "效能型机关",
                      "作风建设", "制度建设", "其他")
FALLBACK_CATEGORY = "其他"


class ProblemCategory(Base):
    """A 问题类别. Problems store the name; a retired category stays valid on old problems."""

    __tablename__ = "problem_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
