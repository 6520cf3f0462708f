"""Import claims: a confirmed ledger import's token, so that exactly one confirm takes the file.

The previewed file moved from instance/imports/ (claimed by an atomic rename, which only one host's
disk can do) into the storage (survey/storage: the local disk or an S3 bucket). Its claim is now a
row: the second confirm's INSERT of the same token fails on the primary key, on any app host.

Revision ID: 5d0e2b7c9a41
Revises: 4cadf4de18ae (the head on main; the lead re-chains)
Create Date: 2026-12-02 05:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5d0e2b7c9a41'
down_revision = '4cadf4de18ae'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_claims',
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_import_claims')),
    )
    with op.batch_alter_table('import_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_claims_claimed_at'), ['claimed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('import_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_claims_claimed_at'))
    op.drop_table('import_claims')
