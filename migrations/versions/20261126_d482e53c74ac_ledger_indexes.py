"""Ledger indexes for 100,000 problems: the overdue badge and warnings, and the filters that page by code.

Measured with bench/ledger_scale.py (bench/README.md): each index replaces a scan or a sort of
tens of thousands of rows by an index range read on SQLite (no ANALYZE statistics) and PostgreSQL.

- status, deadline (+ round_id, unit_id, id): the to-do badge on every page (count(problems.id)
  of overdue, or of an inspector's pending_review in scope) and the 逾期/临期 filters. The trailing
  columns make the index covering: the scope check (round, unit) and count(id) read the index
  alone (a PostgreSQL index-only scan; SQLite has the rowid anyway), not the table.
- deadline: sorting by 整改时限.
- <filter column>, code for status, round_id, unit_id, category, severity and source: the count
  of a one-filter list reads only the index, and the page (newest 30 by code) walks the index
  backwards and stops, instead of sorting every match. unit_id, code also serves every liaison's
  list, which is always limited to the unit.

Revision ID: d482e53c74ac
Revises: 2c2357bf3aa3
Create Date: 2026-11-26 22:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd482e53c74ac'
down_revision = '2c2357bf3aa3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.create_index('ix_problems_status_deadline',
                              ['status', 'deadline', 'round_id', 'unit_id', 'id'], unique=False)
        batch_op.create_index('ix_problems_deadline', ['deadline'], unique=False)
        batch_op.create_index('ix_problems_status_code', ['status', 'code'], unique=False)
        batch_op.create_index('ix_problems_round_code', ['round_id', 'code'], unique=False)
        batch_op.create_index('ix_problems_unit_code', ['unit_id', 'code'], unique=False)
        batch_op.create_index('ix_problems_category_code', ['category', 'code'], unique=False)
        batch_op.create_index('ix_problems_severity_code', ['severity', 'code'], unique=False)
        batch_op.create_index('ix_problems_source_code', ['source', 'code'], unique=False)


def downgrade():
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.drop_index('ix_problems_source_code')
        batch_op.drop_index('ix_problems_severity_code')
        batch_op.drop_index('ix_problems_category_code')
        batch_op.drop_index('ix_problems_unit_code')
        batch_op.drop_index('ix_problems_round_code')
        batch_op.drop_index('ix_problems_status_code')
        batch_op.drop_index('ix_problems_deadline')
        batch_op.drop_index('ix_problems_status_deadline')
