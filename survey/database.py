"""Engine tuning: SQLite pragmas, BEGIN IMMEDIATE for write transactions, fresh planner statistics."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

# True while handling a request (or command) that writes: SQLite then takes the
# write lock at BEGIN, so two workers never deadlock upgrading a read lock.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)

SQLITE_BUSY_TIMEOUT_MS = 15000

# session.info key of the audit rows queued in a transaction (survey.audit chains them at commit).
AUDIT_PENDING = "audit_pending"


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    # Let SQLAlchemy's begin event below issue BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


# SQLite's planner needs statistics (ANALYZE) to choose well at 100,000 problems: the inspector's
# search went from 98 to 39 ms, 逾期 from 173 to 44 ms (bench/ledger_scale.py). SQLite 3.40 has no
# self-refreshing statistics, so the worker refreshes them hourly (the analyze_sqlite periodic task,
# survey/jobs/schedule.py; until issue 14 each web process did it when a connection went back to the
# pool, on a request's time), sampling at most ANALYZE_ROWS rows per index (a few ms), and gives up
# at once when another writer holds the lock (the next hour tries again).
ANALYZE_ROWS = 1000


def refresh_statistics(engine: Engine) -> bool:
    """ANALYZE on SQLite (nothing elsewhere); False when the database was busy."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        try:
            raw.execute("PRAGMA busy_timeout = 50")
            raw.execute(f"PRAGMA analysis_limit = {ANALYZE_ROWS}")
            raw.execute("ANALYZE")
            return True
        except sqlite3.Error:
            return False
        finally:
            raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


@contextmanager
def writing():
    """Mark the enclosed work as a write transaction (CLI commands, background jobs)."""
    token = write_intent.set(True)
    try:
        yield
    finally:
        write_intent.reset(token)


# Search objects the migrations create outside the models (c41f0e9a7d2b): the SQLite FTS5 table and
# its shadow tables, the PostgreSQL trigram indexes. Model comparisons leave them alone.
OUTSIDE_MODELS = ("problems_fts", "ix_problems_description_trgm", "ix_problems_code_trgm")


def outside_models(name, type_, parent_names) -> bool:
    """Alembic include_name hook: False for the objects above."""
    return not (name or "").startswith(OUTSIDE_MODELS)


def begin_writing(session) -> None:
    """Switch a request that started read-only (a view marked reads_first, such as an upload that
    first decodes images for seconds) to writing, right before its writes: on SQLite the read
    transaction ends here and the next statement begins with BEGIN IMMEDIATE, so the write lock
    is held for the inserts only, never for the slow part. Objects loaded before reload on their
    next use, so the caller checks its rules again after this call. Nothing may be changed before."""
    if write_intent.get() or not has_request_context():  # commands and jobs use writing()
        return
    write_intent.set(True)  # until the request ends (survey/__init__.py resets it)
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_writing() after changes: they would be lost")
    queued = session.info.pop(AUDIT_PENDING, None)
    session.rollback()
    if queued:
        session.begin()
        session.info[AUDIT_PENDING] = queued
