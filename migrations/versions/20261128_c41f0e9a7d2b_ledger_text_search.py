"""Ledger free-text search by index: SQLite FTS5 (trigram tokenizer), PostgreSQL pg_trgm.

At 100,000 problems, `description LIKE '%公务接待%'` read every row: 108 ms for an inspector on
SQLite (bench/ledger_scale.py). Both engines now answer a search of three characters or more from a
trigram index (survey/ledger/queries.py picks the form); one- and two-character searches still scan.

- SQLite: `problems_fts`, an external-content FTS5 table over problems.description kept in step by
  three triggers. A later migration that rebuilds `problems` (batch "move and copy") drops the
  triggers with the old table: it must create them again (call `sqlite_triggers()` below).
- PostgreSQL: GIN trigram indexes on description and code. pg_trgm is a trusted extension (any role
  with CREATE on the database may add it); where it cannot be added the indexes are skipped and
  search still works, by scanning.

These objects are outside the models; migrations/env.py and the model comparison ignore them
(survey.database.outside_models).

Revision ID: c41f0e9a7d2b
Revises: 7b6cf63d5069
Create Date: 2026-11-28 03:55:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c41f0e9a7d2b'
down_revision = '7b6cf63d5069'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    """CREATE TRIGGER problems_fts_ai AFTER INSERT ON problems BEGIN
         INSERT INTO problems_fts(rowid, description) VALUES (new.id, new.description); END""",
    """CREATE TRIGGER problems_fts_ad AFTER DELETE ON problems BEGIN
         INSERT INTO problems_fts(problems_fts, rowid, description) VALUES ('delete', old.id, old.description); END""",
    """CREATE TRIGGER problems_fts_au AFTER UPDATE OF description ON problems BEGIN
         INSERT INTO problems_fts(problems_fts, rowid, description) VALUES ('delete', old.id, old.description);
         INSERT INTO problems_fts(rowid, description) VALUES (new.id, new.description); END""",
)


def sqlite_triggers():
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE problems_fts USING fts5("
                   "description, content='problems', content_rowid='id', tokenize='trigram')")
        op.execute("INSERT INTO problems_fts(problems_fts) VALUES ('rebuild')")
        sqlite_triggers()
    elif bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError:
            return  # no right to add the extension: search scans
        op.execute("CREATE INDEX ix_problems_description_trgm ON problems USING gin (description gin_trgm_ops)")
        op.execute("CREATE INDEX ix_problems_code_trgm ON problems USING gin (code gin_trgm_ops)")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("problems_fts_au", "problems_fts_ad", "problems_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS problems_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_problems_code_trgm")
        op.execute("DROP INDEX IF EXISTS ix_problems_description_trgm")
