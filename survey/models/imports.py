"""Claims of previewed ledger imports: the row that lets exactly one confirm, on any app host, take
the kept file (survey/ledger/import_store.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime


class ImportClaim(Base):
    """A previewed file's token, once a confirm has taken it. The primary key refuses the second."""

    __tablename__ = "import_claims"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
