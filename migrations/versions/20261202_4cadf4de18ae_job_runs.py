"""job_runs: queued work by its dedupe key (survey/jobs, issue 14): durable tasks claimed by one
worker and handed out again when their worker died, and the completion marks of jobs.once().

Revision ID: 4cadf4de18ae
Revises: 73491319cd7f
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '4cadf4de18ae'
down_revision = '73491319cd7f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('task', sa.String(length=100), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_by', sa.String(length=120), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
        sa.UniqueConstraint('key', name=op.f('uq_job_runs_key')),
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_status'))
    op.drop_table('job_runs')
