"""Migrations build an empty database on this engine, and match the models exactly."""
from __future__ import annotations

import importlib.util
import json
import os
import uuid
from datetime import date, datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
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


def _revision_before(name: str) -> str:
    folder = os.path.join(os.path.dirname(__file__), "..", "migrations", "versions")
    path = next(os.path.join(folder, n) for n in os.listdir(folder) if name in n)
    spec = importlib.util.spec_from_file_location("china_dates", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.down_revision


def _field_days(clock_at) -> dict:
    """What the UTC-dated code wrote, made with today's code at 05:00 and 17:00 China time."""
    from survey.filling import operations as filling
    from survey.ledger import operations as ledger
    from survey.questionnaires import editing
    from survey.questionnaires import operations as qops
    from survey.models import Problem
    from tests.factories import make_ledger_world

    clock_at(datetime(2026, 3, 1, 21, 0, tzinfo=timezone.utc))        # 3-02 05:00 in China
    w = make_ledger_world(db)
    checker, liaison = w["users"]["checker"], w["users"]["unit"]
    self_check = qops.create_questionnaire(w["admin"], "自查", "self_check")
    editing.save_question(self_check.sections[0], None, {"name": "q1", "type": "check", "label": "检查项",
                                                          "problem_if": ". = 'no'"}, "")
    qops.publish_version(w["admin"], self_check)
    w["round"] = filling.create_round(w["admin"], name="2026年批次", code="2026", starts_on=date(2026, 1, 1),
                                      ends_on=date(2026, 12, 31), self_check_deadline=date(2026, 4, 30),
                                      self_check_version=self_check, onsite_version=w["round"].onsite_version,
                                      units=[w["unit"], w["users"]["other_unit"].unit])
    w["submission"] = filling.open_submission(w["round"], w["unit"], "self_check", liaison)
    early = filling.open_submission(w["round"], w["unit"], "visit", checker)
    db.session.flush()
    filling.submit(checker, early, {"answers": {"q1": "yes"}, "facts": early.facts,
                                    "found": [{"key": "manual-1", "description": "早上的问题"}]}, "v-early")
    filling.submit(liaison, w["submission"], {"answers": {"q1": "no"}}, "self-early")
    hand = ledger.register_problem(checker, rnd=w["round"], unit=w["unit"], category="其他", description="手工登记",
                                   severity="一般", deadline=None, found_on=date(2026, 3, 1))  # typed by hand
    clock_at(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))         # 3-02 17:00 in China
    late = filling.open_submission(w["round"], w["users"]["other_unit"].unit, "visit", w["users"]["other_inspector"])
    db.session.flush()
    clock_at(datetime(2026, 3, 2, 22, 0, tzinfo=timezone.utc))        # 3-03 06:00: recorded next morning
    filling.submit(w["users"]["other_inspector"], late, {"answers": {"q1": "yes"}, "facts": late.facts,
                   "found": [{"key": "manual-1", "description": "前一天的问题"}]}, "v-late")
    db.session.commit()
    problems = {p.description: p.id for p in db.session.scalars(select(Problem))}
    return {"early": early.id, "late": late.id, "hand": hand.id, "problems": problems}


def test_china_dates_migration_corrects_only_what_the_utc_clock_dated(tmp_path):
    """At the revision before, put back the UTC dates the old code wrote (05:00 China time was the
    day before in UTC), upgrade, and check each date against its event time."""
    from survey import clock
    from survey.models import Problem, Submission

    url, cleanup = _scratch_database(tmp_path)
    try:
        app = create_app(TestConfig(url))
        with app.app_context():
            upgrade()
            try:
                made = _field_days(clock.freeze)
            finally:
                clock.freeze(None)
            db.session.remove()
            downgrade(revision=_revision_before("china_dates"))
            ids = made["problems"]
            with db.engine.begin() as conn:                  # what the UTC clock wrote
                conn.execute(text("UPDATE submissions SET facts = :f WHERE id = :i"),
                             {"f": json.dumps({"visit_date": "2026-03-01", "place": "农业农村局",
                                               "member_ids": [], "attendees": ""}), "i": made["early"]})
                conn.execute(text("UPDATE problems SET found_on = :d WHERE id IN (:a, :b)"),
                             {"d": date(2026, 3, 1), "a": ids["早上的问题"], "b": next(
                                 i for d, i in ids.items() if d not in ("早上的问题", "前一天的问题", "手工登记"))})
            upgrade()
            found = {p.description: p.found_on for p in db.session.scalars(select(Problem))}
            visits = {s.id: s.facts["visit_date"] for s in db.session.scalars(select(Submission))
                      if s.kind == "visit"}
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()
    assert visits == {made["early"]: "2026-03-02",    # opened 05:00 China: was the UTC date 3-01
                      made["late"]: "2026-03-02"}     # opened 17:00: already right
    self_check = next(d for d in found if d not in ("早上的问题", "前一天的问题", "手工登记"))
    assert found == {"早上的问题": date(2026, 3, 2),     # follows its visit
                     self_check: date(2026, 3, 2),       # self-check submitted at 05:00
                     "前一天的问题": date(2026, 3, 2),    # visit of 3-02 recorded at 06:00 on 3-03: kept
                     "手工登记": date(2026, 3, 1)}        # typed by hand: kept


def test_supervision_migration_gives_existing_rounds_the_default_ladder(tmp_path):
    """A round made before the 督办 revision gets the default ladder when it is applied."""
    from tests.factories import make_ledger_world

    url, cleanup = _scratch_database(tmp_path)
    try:
        app = create_app(TestConfig(url))
        with app.app_context():
            upgrade()
            round_id = make_ledger_world(db)["round"].id
            db.session.remove()
            downgrade(revision=_revision_before("supervision"))
            assert "ladder_steps" not in inspect(db.engine).get_table_names()
            upgrade()
            with db.engine.connect() as conn:
                rows = conn.execute(text("SELECT target, key, position, offset_days, notice_kind, flag_admin "
                                         "FROM ladder_steps WHERE round_id = :r ORDER BY target, position"),
                                    {"r": round_id}).all()
            db.engine.dispose()
        assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
            ("problem", "remind_10", -10, ""), ("problem", "remind_3", -3, ""), ("problem", "due", 0, "duban"),
            ("problem", "warn", 5, "warn"), ("problem", "report", 10, "report"),
            ("self_check", "sc_remind_3", -3, ""), ("self_check", "sc_overdue", 1, "selfcheck")]
        assert [bool(r[5]) for r in rows].count(True) == 1
    finally:
        cleanup()
