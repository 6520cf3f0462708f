"""flask backup / restore / sweep-orphans on the test's engine (SQLite, or PostgreSQL with
TEST_DATABASE_URL: the restore then goes into a second database, <name>_restore, made here).
A thread keeps writing while the backup runs; the restored copy must match the snapshot's row
counts table by table, verify its audit chain, and give back every file with its SHA-256."""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from survey import audit, audit_chain, backup, create_app
from survey.config import TestConfig
from survey.database import writing
from survey.extensions import db as _db
from survey.models import Evidence, Photo, Unit
from tests.conftest import database_url, local_disk_only
from tests.factories import make_ledger_world


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture()
def instance(app, tmp_path, monkeypatch):
    local_disk_only()  # writes the instance folder's files itself
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return tmp_path / "instance"


def add_files(db, instance: Path) -> dict[str, str]:
    """Three photos and two evidence files, as rows with files; returns stored name -> sha256."""
    world = make_ledger_world(db)
    from survey.filling.problems import create_problems
    from datetime import date

    [problem] = create_problems(world["submission"], [{"description": "问题", "category": "其他"}],
                                world["admin"], date(2023, 5, 1))
    hashes = {}
    for folder, n in (("uploads", 3), ("evidence", 2)):
        (instance / folder).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            data = os.urandom(2000 + i) + "照片".encode()
            name = f"{folder[:2]}{i:030d}.jpg"
            (instance / folder / name).write_bytes(data)
            hashes[name] = sha(data)
            common = {"stored_name": name, "original_name": f"正文{i}.jpg", "size": len(data), "sha256": sha(data)}
            if folder == "uploads":
                db.session.add(Photo(submission_id=world["submission"].id, question_name="q1", client_id=f"c{i}",
                                     width=1, height=1, **common))
            else:
                db.session.add(Evidence(problem_id=problem.id, kind="jpg", **common))
    db.session.commit()
    return hashes


class Writer(threading.Thread):
    """Inserts units and audit rows, each in its own write transaction, until stopped;
    wait_for(n) returns once n have been committed."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.count, self.errors = app, threading.Event(), 0, []
        self.progress = threading.Condition()

    def run(self):
        with self.app.app_context():
            while not self.stop.is_set():
                try:
                    with writing():
                        _db.session.add(Unit(name=f"备份中新增{self.count}", category="其他"))
                        audit.record("unit_create", actor_username="writer")
                        _db.session.commit()
                    with self.progress:
                        self.count += 1
                        self.progress.notify_all()
                except Exception as exc:  # noqa: BLE001 - reported by the test
                    self.errors.append(repr(exc))
                    _db.session.rollback()
            _db.session.remove()

    def wait_for(self, n: int, timeout: float = 60) -> None:
        with self.progress:
            done = self.progress.wait_for(lambda: self.count >= n or bool(self.errors), timeout)
        assert done and not self.errors, self.errors or f"the writer wrote {self.count} of {n} rows"


def _restore_database(create: bool) -> str:
    """<test database>_restore on the same PostgreSQL server, dropped and (re)created."""
    url = make_url(database_url())
    target = url.set(database=url.database + "_restore")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except ProgrammingError as exc:  # a role without CREATEDB cannot run these tests
        pytest.skip(f"cannot create the restore database: {exc.orig}")
    finally:
        admin.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture(scope="module", autouse=True)
def _drop_restore_database():
    yield
    if not database_url().startswith("sqlite"):
        _restore_database(create=False)


def restore_target(tmp_path: Path) -> str:
    if database_url().startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'survey.db'}"
    return _restore_database(create=True)


def clean_machine(tmp_path: Path, url: str):
    config = TestConfig(url)
    config.INSTANCE_PATH = str(tmp_path / "restored" / "instance")
    return create_app(config)


def test_backup_under_writes_then_restore_on_a_clean_machine(app, db, instance, tmp_path, monkeypatch):
    hashes = add_files(db, instance)
    from survey.storage import get_storage, key_for
    get_storage().put(key_for("doctemplates", "duban.docx"), b"an administrator's notice template")
    writer = Writer(app)
    writer.start()
    writer.wait_for(1)  # writing before the backup starts
    count_rows, at_snapshot = backup.count_rows, []

    def count_once_more_rows_are_written(conn, tables):
        """The backup counts its snapshot only after three more rows went into the live database."""
        at_snapshot.append(writer.count)
        writer.wait_for(writer.count + 3)
        return count_rows(conn, tables)

    with monkeypatch.context() as m:
        m.setattr(backup, "count_rows", count_once_more_rows_are_written)
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    writer.stop.set()
    writer.join()
    assert result.exit_code == 0, result.output
    assert writer.errors == [] and len(at_snapshot) == 1 and writer.count >= at_snapshot[0] + 3
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    live_units = db.session.scalar(select(func.count(Unit.id)))
    # Rows the writer committed during the backup, after the snapshot, are not in it.
    assert manifest["database"]["tables"]["units"] <= live_units - 3
    assert set(manifest["files"]) == {f"uploads/{n}" for n in hashes if n.startswith("up")} | \
        {f"evidence/{n}" for n in hashes if n.startswith("ev")} | {"doctemplates/duban.docx"}
    assert manifest["missing"] == [] and manifest["database"]["tables"]["photos"] == 3

    restored = clean_machine(tmp_path, restore_target(tmp_path))
    try:
        with restored.app_context():
            run = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
            assert run.exit_code == 0, run.output
            counts = backup.count_rows(_db.session, sorted(manifest["database"]["tables"]))
            expected = dict(manifest["database"]["tables"])
            expected["audit_logs"] += 1  # the restore itself is on record
            assert counts == expected
            assert audit_chain.verify_chain(_db.session).ok
            folder = Path(restored.instance_path)
            for model, sub in ((Photo, "uploads"), (Evidence, "evidence")):
                for row in _db.session.scalars(select(model)):
                    assert sha((folder / sub / row.stored_name).read_bytes()) == row.sha256 == hashes[row.stored_name]
            assert (folder / "doctemplates" / "duban.docx").read_bytes() == b"an administrator's notice template"
            again = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
            assert again.exit_code != 0 and "--force" in again.output
            forced = restored.test_cli_runner().invoke(args=["restore", "--force", str(tmp_path / "bk")])
            assert forced.exit_code == 0, forced.output
            _db.session.remove()
    finally:
        with restored.app_context():
            _db.engine.dispose()


def test_a_damaged_backup_is_refused_before_anything_changes(app, db, instance, tmp_path):
    add_files(db, instance)
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")]).exit_code == 0
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    damaged = tmp_path / "bk" / "files" / sorted(manifest["files"])[0]
    damaged.write_bytes(b"changed")
    restored = clean_machine(tmp_path, restore_target(tmp_path))
    with restored.app_context():
        run = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
        assert run.exit_code != 0 and "备份已损坏" in run.output
        assert backup.database_is_empty()
        assert not (Path(restored.instance_path) / "uploads").exists()
        _db.engine.dispose()


def test_backup_refuses_a_used_directory_and_restore_a_foreign_one(app, db, instance, tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", str(used)])
    assert result.exit_code != 0 and "不是空的" in result.output
    result = app.test_cli_runner().invoke(args=["restore", str(used)])
    assert result.exit_code != 0 and "manifest.json" in result.output


def test_restore_refuses_a_non_empty_database(app, db, instance, tmp_path):
    add_files(db, instance)
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert result.exit_code != 0 and "已有数据" in result.output


def test_sweep_orphans_removes_only_old_files_no_row_points_to(app, db, instance):
    hashes = add_files(db, instance)
    for folder in ("uploads", "evidence"):
        stray = instance / folder / "stray.jpg"
        stray.write_bytes(b"cut off half way")
        os.utime(stray, (time.time() - 7200, time.time() - 7200))
        (instance / folder / "young.jpg").write_bytes(b"upload in progress")
    result = app.test_cli_runner().invoke(args=["sweep-orphans"])
    assert result.exit_code == 0 and "2 个" in result.output
    left = {p.name for f in ("uploads", "evidence") for p in (instance / f).iterdir()}
    assert left == set(hashes) | {"young.jpg"}
