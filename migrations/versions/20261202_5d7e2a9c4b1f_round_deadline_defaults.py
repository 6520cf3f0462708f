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


def upgrade():
    with op.batch_alter_table("rounds") as batch:
        for name, days in COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=days))


def downgrade():
    with op.batch_alter_table("rounds") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
