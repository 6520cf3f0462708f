"""Dashboard indexes: every figure of 统计看板 from an index alone, read in GROUP BY order.

The dashboard (survey/dashboard/queries.py) builds a round's figures from a few GROUP BY reads. For a
round of 100,000 problems (bench/dashboard_scale.py; same data, same statements, 28 Nov 2026, a shared
2-CPU machine), EXPLAIN before → after, median ms SQLite / PostgreSQL:

- round_id, status, unit_id, deadline — counts per status and unit with each unit's 逾期/临期 (a CASE
  on deadline). Before: SQLite `SEARCH problems USING INDEX ix_problems_round_code (round_id=?)` +
  `USE TEMP B-TREE FOR GROUP BY` (every row fetched from the table, then sorted), 95 ms; PostgreSQL
  a parallel scan of ix_problems_status_deadline + HashAggregate, 30 ms. After: `SEARCH ... USING
  COVERING INDEX ix_problems_round_status_unit (round_id=?)`, no sort (GroupAggregate in index
  order on PostgreSQL), 22 / 14 ms.
- round_id, category, severity, source, unit_id — by 问题类别, 严重程度 and 发现方式 in one read. Before:
  ix_problems_round_code + table rows + TEMP B-TREE, 107 ms; PostgreSQL Gather Merge over a Sort of
  the table, 43 ms. After: COVERING INDEX ix_problems_round_breakdown, no sort, 14 / 13 ms. unit_id
  keeps an inspector's unit test inside the index.
- round_id, found_on, unit_id — problems found per day (the weekly chart) and the round's last
  发现时间 (one backward seek). Before: ix_problems_round_code + table + TEMP B-TREE, 55 ms; 31 ms.
  After: `COVERING INDEX ix_problems_round_found (round_id=? AND found_on>?)`, only the chart's
  weeks, in order, 9 / 5 ms.
- status, round_id, closed_at, found_on, unit_id — closed problems: per 销号 day (window by
  closed_at) and days from 发现 to 销号 (average, 90th percentile). Before: ix_problems_round_status
  then the table (Bitmap Heap Scan on PostgreSQL), 38 ms each on SQLite, 22–27 ms. After: `COVERING
  INDEX ix_problems_status_round_closed (status=? AND round_id=? AND closed_at>?)`, 8 / 8 ms (the
  week's 销号 days) and 20 / 12 ms (the day counts still sort on SQLite: an expression).

ix_problems_round_status (round_id, status) is now a prefix of the first index; it is left alone
here (the ledger's plans use it).

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
