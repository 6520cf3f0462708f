"""Migrations build an empty database on this engine, and match the models exactly."""
from __future__ import annotations

import os
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from survey import create_app
from survey.database import outside_models
from survey.config import TestConfig
from survey.extensions import db
from tests.conftest import database_url


def _scratch_database(tmp_path):
    """A brand-new empty database of the engine under test; returns (url, cleanup)."""
    url = database_url()
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'migrate.db'}", lambda: None
    name = f"survey_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = make_url(url).set(database=name).render_as_string(hide_password=False)

    def cleanup():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return scratch, cleanup


def test_upgrade_from_empty_matches_the_models_and_downgrades(tmp_path):
    url, cleanup = _scratch_database(tmp_path)
    try:
        app = create_app(TestConfig(url))
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(
                    conn, opts={"compare_type": True, "render_as_batch": True, "include_name": outside_models}),
                    db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            tables = set(inspect(db.engine).get_table_names())
            assert {"users", "units", "supervision_groups", "group_members", "audit_logs"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            db.engine.dispose()
    finally:
        cleanup()


def test_flask_db_check_passes(tmp_path):
    """The command a reviewer runs: `flask db upgrade` then `flask db check`."""
    url, cleanup = _scratch_database(tmp_path)
    try:
        app = create_app(TestConfig(url))
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        result = runner.invoke(args=["db", "check"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            db.engine.dispose()
    finally:
        cleanup()


def test_migration_files_are_date_prefixed():
    folder = os.path.join(os.path.dirname(__file__), "..", "migrations", "versions")
    names = [n for n in os.listdir(folder) if n.endswith(".py")]
    assert names and all(n[:8].isdigit() for n in names)
