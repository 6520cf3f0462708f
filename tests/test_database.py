"""Engine settings: SQLite pragmas, write locking under concurrency, the generated secret key."""
from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from survey.config import load_secret_key
from survey.models import AuditLog, Role
from tests.conftest import do_login
from tests.factories import make_user


@pytest.mark.sqlite_only
def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(app, db):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 10000


def test_foreign_keys_are_enforced(app, db):
    from sqlalchemy.exc import IntegrityError

    user = make_user(Role.ADMIN)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE users SET unit_id = 987654 WHERE id = :id"), {"id": user.id})
        db.session.commit()
    db.session.rollback()


def test_concurrent_writes_never_see_a_locked_database(app, db):
    """Twelve clients log in (each a write) five times at once: every one succeeds."""
    users = [make_user(Role.UNIT, username=f"c{i}") for i in range(12)]

    def worker(username):
        client = app.test_client()
        codes = []
        for _ in range(5):
            codes.append(do_login(client, username).status_code)
            client.post("/logout", data={"csrf_token": _token(client)})
        return codes

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(worker, [u.username for u in users]))
    assert all(code == 302 for codes in results for code in codes)
    db.session.rollback()  # end this test's read snapshot
    logins = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "login"))
    assert logins == 60


def _token(client):
    from tests.conftest import csrf_from
    return csrf_from(client.get("/account").get_data(as_text=True))


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path)
    assert len(first) >= 32 and load_secret_key(tmp_path) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_secret_key(tmp_path) == "from-env"


@pytest.mark.sqlite_only
def test_planner_statistics_are_refreshed_by_the_worker_not_on_requests(app, db, client):
    """ANALYZE is the worker's hourly analyze_sqlite task (survey/jobs/schedule.py), never a request's."""
    from survey import jobs
    from tests.factories import make_unit

    def stat_rows() -> int:
        db.session.remove()
        if not db.session.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar():
            return 0
        return db.session.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'units'")).scalar()

    for i in range(5):
        make_unit(f"统计单位{i}")
    db.session.commit()
    if stat_rows():
        db.session.execute(text("DELETE FROM sqlite_stat1"))
        db.session.commit()
    assert client.get("/login").status_code == 200 and stat_rows() == 0
    assert jobs.run_periodic_now("analyze_sqlite") is True
    assert stat_rows() >= 1
