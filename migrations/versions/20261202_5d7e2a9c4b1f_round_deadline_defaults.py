"""Default 整改时限 per severity on a round: 一般 30 days, 较重 20, 严重 10 after the problem is found.

Existing rounds get those defaults (server defaults fill the rows in place).

Revision ID: 5d7e2a9c4b1f
Revises: f3c8a1d6b9e2
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5d7e2a9c4b1f'
down_revision = 'f3c8a1d6b9e2'
branch_labels = None
depends_on = None

COLUMNS = (("deadline_days_general", "30"), ("deadline_days_major", "20"), ("deadline_days_severe", "10"))


# Plain ADD/DROP COLUMN on both engines (SQLite has both since 3.35): a batch copy of rounds would
# fail on SQLite with foreign keys on, every submission and problem pointing at it.
def upgrade():
    for name, days in COLUMNS:
        op.add_column("rounds", sa.Column(name, sa.Integer(), nullable=False, server_default=days))


def downgrade():
    for name, _ in reversed(COLUMNS):
        op.drop_column("rounds", name)
