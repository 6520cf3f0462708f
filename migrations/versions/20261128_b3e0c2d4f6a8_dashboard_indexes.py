"""Dashboard indexes: every figure of 统计看板 from an index alone, read in GROUP BY order.

(EXPLAIN before/after: filled in below after measuring.)

Revision ID: b3e0c2d4f6a8
Revises: c41f0e9a7d2b
Create Date: 2026-11-28 04:00:00
"""
from alembic import op

revision = 'b3e0c2d4f6a8'
down_revision = 'c41f0e9a7d2b'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_problems_round_status_unit", ["round_id", "status", "unit_id", "deadline"]),
    ("ix_problems_round_breakdown", ["round_id", "category", "severity", "source", "unit_id"]),
    ("ix_problems_round_found", ["round_id", "found_on", "unit_id"]),
    ("ix_problems_status_round_closed", ["status", "round_id", "closed_at", "found_on", "unit_id"]),
)


def upgrade():
    # Plain CREATE INDEX, not batch mode: on SQLite a batch "move and copy" would rebuild problems and
    # drop the text-search triggers of c41f0e9a7d2b.
    for name, columns in INDEXES:
        op.create_index(name, "problems", columns, unique=False)


def downgrade():
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="problems")
