"""Editable problem categories, background export jobs, signed per-unit links, the audit hash chain.

problem_categories starts with the list that was fixed in code (the six 六型, 作风建设, 制度建设, 其他)
plus any other category already used by a problem, so every existing problem stays valid.

Revision ID: 7b6cf63d5069
Revises: d482e53c74ac
Create Date: 2026-11-28 03:02:46.542459

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

DEFAULTS = ("政治机关", "学习型机关", "服务型机关", "法治型机关", "廉洁型机关", "效能型机关",
            "作风建设", "制度建设", "其他")


# revision identifiers, used by Alembic.
revision = '7b6cf63d5069'
down_revision = 'd482e53c74ac'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('problem_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_problem_categories_name'))
    )
    used = [row[0] for row in op.get_bind().execute(sa.text("SELECT DISTINCT category FROM problems"))]
    names = list(DEFAULTS) + sorted(c for c in used if c and c not in DEFAULTS)
    table = sa.table("problem_categories", sa.column("name", sa.String), sa.column("position", sa.Integer),
                     sa.column("is_active", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(table, [{"name": n, "position": i, "is_active": True, "created_at": now}
                           for i, n in enumerate(names)])

    op.create_table('export_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_export_jobs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs'))
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_jobs_user_id'), ['user_id'], unique=False)

    op.create_table('unit_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_unit_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_unit_links_round_id_rounds')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_links_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_links')),
    sa.UniqueConstraint('nonce', name=op.f('uq_unit_links_nonce')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_unit_links_round_id'))
    )
    with op.batch_alter_table('unit_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_links_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_links_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')

    with op.batch_alter_table('unit_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_links_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unit_links_round_id'))

    op.drop_table('unit_links')
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_jobs_user_id'))
        batch_op.drop_index(batch_op.f('ix_export_jobs_status'))

    op.drop_table('export_jobs')
    op.drop_table('problem_categories')
