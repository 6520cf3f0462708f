"""编号 sorts naturally: problems.code_key, the code with digit runs zero-padded to 10.

Codes are `{round code}-{n:03d}`; past 999 problems in a round, ordering by the code text put
2023-999 above 2023-1000. The ledger now sorts by code_key, and the six (filter, code) indexes of
d482e53c74ac become (filter, code_key), plus code_key alone for the unfiltered list. Plain ALTER and
CREATE INDEX (no batch "move and copy" on SQLite, which would drop the search triggers of
c41f0e9a7d2b).

Revision ID: e7a9c3b1d5f0
Revises: b3e0c2d4f6a8
Create Date: 2026-11-28 03:40:00
"""
import re

import sqlalchemy as sa
from alembic import op

revision = 'e7a9c3b1d5f0'
down_revision = 'b3e0c2d4f6a8'
branch_labels = None
depends_on = None

FILTERS = (("status", "status"), ("round", "round_id"), ("unit", "unit_id"), ("category", "category"),
           ("severity", "severity"), ("source", "source"))


def key(code):
    return re.sub(r"\d+", lambda m: m.group().zfill(10), code or "")[:64]


def upgrade():
    op.add_column("problems", sa.Column("code_key", sa.String(length=64), server_default="", nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, code FROM problems")).all()
    for start in range(0, len(rows), 5000):
        bind.execute(sa.text("UPDATE problems SET code_key = :k WHERE id = :i"),
                     [{"k": key(code), "i": pid} for pid, code in rows[start:start + 5000]])
    for name, column in FILTERS:
        op.drop_index(f"ix_problems_{name}_code", table_name="problems")
        op.create_index(f"ix_problems_{name}_code_key", "problems", [column, "code_key"], unique=False)
    op.create_index("ix_problems_code_key", "problems", ["code_key"], unique=False)


def downgrade():
    op.drop_index("ix_problems_code_key", table_name="problems")
    for name, column in reversed(FILTERS):
        op.drop_index(f"ix_problems_{name}_code_key", table_name="problems")
        op.create_index(f"ix_problems_{name}_code", "problems", [column, "code"], unique=False)
    op.drop_column("problems", "code_key")
