"""Ledger columns on problems (measures, progress, result, close-out, extension) and evidence files.

Revision ID: 2c2357bf3aa3
Revises: a53af88fd076
Create Date: 2026-11-26 21:12:58.154851

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2c2357bf3aa3'
down_revision = 'a53af88fd076'
branch_labels = None
depends_on = None


def upgrade():
    # Existing problems get empty texts: server defaults let NOT NULL columns be added to full tables.
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['problem_id'], ['problems.id'], name=op.f('fk_evidence_problem_id_problems')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_evidence_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_evidence_stored_name'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_problem_id'), ['problem_id'], unique=False)

    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.add_column(sa.Column('responsible_person', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('measures', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('planned_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('progress', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('result', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('extension_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('extension_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_problems_closed_by_id_users'), 'users', ['closed_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_problems_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('extension_reason')
        batch_op.drop_column('extension_deadline')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('result')
        batch_op.drop_column('progress')
        batch_op.drop_column('planned_on')
        batch_op.drop_column('measures')
        batch_op.drop_column('responsible_person')

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_problem_id'))

    op.drop_table('evidence')
