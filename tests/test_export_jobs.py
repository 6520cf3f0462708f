"""Large exports as background jobs: a real worker (`flask worker`, tests/queue_worker.py) writes the
file and no thread is started in the web process; progress, rights resolved when the job runs, one
claimant however often the task is delivered, stale jobs failed, and only the owner sees or
downloads the file."""
from __future__ import annotations

import io
import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from survey.errors import Conflict
from survey import jobs as queue
from survey.database import writing
from survey.export import jobs, ledger, operations
from survey.models import AuditLog, ExportJob, JobRun
from tests.conftest import database_url, do_login, local_disk_only
from tests.queue_worker import Worker, point_queue_at, sqlite_queue
from tests.storefolder import upload_folder
from tests.test_export import data_rows, world  # noqa: F401  (the same ledger world)


@pytest.fixture()
def small(app, monkeypatch):
    """Exports above two problems go to the background."""
    monkeypatch.setitem(app.config, "EXPORT_SYNC_MAX_ROWS", 2)


@pytest.fixture(scope="module")
def running_worker(app, tmp_path_factory):
    w = Worker(database_url(), sqlite_queue(), tmp_path_factory.mktemp("worker") / "worker.log").start()
    yield w
    assert w.stop() == 0


@pytest.fixture()
def worker(running_worker):
    point_queue_at(sqlite_queue())  # another test's create_app may have pointed the queue elsewhere
    return running_worker


def wait_for(db, job_id: int, timeout: float = 60) -> ExportJob:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        job = db.session.get(ExportJob, job_id)
        if job.status in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def wait_run(db, key: str, timeout: float = 30) -> JobRun:
    """The job_runs row once done: its done mark follows the job's, in a transaction of its own."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        run = db.session.scalar(select(JobRun).where(JobRun.key == key))
        if run.status == "done" or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def exports_dir(app) -> Path:
    return upload_folder(app, "exports", Path(app.instance_path) / "exports")


def test_large_export_runs_in_the_background_for_its_owner_only(app, client, db, login, world, small, worker):
    login(world["admin"])
    resp = client.get(f"/ledger/export.xlsx?round={world['round'].id}")
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/exports/")
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    job = wait_for(db, job_id)
    assert (job.status, job.error) == ("done", "")
    assert job.total == 7 + 8 and job.progress == job.total            # 7 problems, 8 events
    assert job.params == {"filters": {"round": world["round"].id}} and job.file_name == "问题台账_20260302.xlsx"
    assert (exports_dir(app) / job.stored_name).is_file() and not list(exports_dir(app).glob(".tmp-*"))
    page = client.get(f"/exports/{job_id}").get_data(as_text=True)
    assert "已完成" in page and f"/exports/{job_id}/download" in page and 'http-equiv="refresh"' not in page
    got = client.get(f"/exports/{job_id}/download")
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    assert "filename*=UTF-8''" + quote("问题台账_20260302.xlsx") in got.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(got.data))
    assert wb["问题台账"]["A1"].value == "示范区廉洁机关建设问题整改台账（2023年批次）"
    assert [r[1] for r in data_rows(wb["问题台账"])] == [f"2023-00{n}" for n in range(7, 0, -1)]
    audit = db.session.scalars(select(AuditLog).where(AuditLog.event == "export")).all()
    assert len(audit) == 1 and audit[0].details["job"] == job_id and audit[0].actor_username == "boss"
    other = app.test_client()
    assert do_login(other, "checker").status_code == 302
    assert other.get(f"/exports/{job_id}").status_code == 404
    assert other.get(f"/exports/{job_id}/download").status_code == 404


def test_a_liaisons_job_holds_only_the_units_rows(app, client, db, login, world, small, worker):
    login(world["users"]["unit"])
    resp = client.get("/ledger/export.xlsx")
    job = wait_for(db, int(resp.headers["Location"].rsplit("/", 1)[1]))
    wb = load_workbook(io.BytesIO(client.get(f"/exports/{job.id}/download").data))
    assert {r[2] for r in data_rows(wb["问题台账"])} == {"农业农村局"} and "财政局" not in str(list(
        wb["流转记录"].values))
    # rights are resolved when the job runs, for its user: another unit's filter finds nothing
    liaison = world["users"]["unit"]
    forged = operations.queue_job(liaison, "ledger", {"filters": {"unit": world["other"].id}}, "x.xlsx",
                                  job.created_at)
    db.session.commit()
    jobs.run(app, forged.id)
    forged = wait_for(db, forged.id)
    wb = load_workbook(exports_dir(app) / forged.stored_name)
    assert data_rows(wb["问题台账"]) == [] and forged.total == 0


def test_the_threshold_counts_events_too(app, client, db, login, world, monkeypatch, worker):
    """7 problems and 8 events are 15 rows: above 10 they go to the background, at 15 they do not."""
    login(world["admin"])
    monkeypatch.setitem(app.config, "EXPORT_SYNC_MAX_ROWS", 15)
    assert client.get("/ledger/export.xlsx").status_code == 200
    monkeypatch.setitem(app.config, "EXPORT_SYNC_MAX_ROWS", 10)
    resp = client.get("/ledger/export.xlsx")
    assert resp.status_code == 303
    assert wait_for(db, int(resp.headers["Location"].rsplit("/", 1)[1])).status == "done"


def test_one_claimant_however_often_the_task_is_delivered(app, db, world, worker):
    with writing():
        job = jobs.queue_job(world["admin"], "ledger", {"filters": {}}, "x.xlsx", world["round"].created_at)
        db.session.commit()
    before = set(exports_dir(app).glob("*")) if exports_dir(app).exists() else set()
    for _ in range(3):                    # the same message delivered again and again
        jobs.export_task(f"export:{job.id}")
    job = wait_for(db, job.id)
    assert job.status == "done"
    run = wait_run(db, f"export:{job.id}")
    time.sleep(0.5)                       # the extra deliveries have been seen and refused
    assert len(set(exports_dir(app).glob("*")) - before) == 1
    assert (run.status, run.attempts) == ("done", 1)


def test_no_thread_is_started_in_the_web_process(app, client, db, login, world, small, worker, monkeypatch):
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self.name))
    login(world["admin"])
    resp = client.get("/ledger/export.xlsx")
    assert resp.status_code == 303 and started == []
    job = wait_for(db, int(resp.headers["Location"].rsplit("/", 1)[1]))
    assert job.status == "done" and started == []


def test_an_export_whose_worker_was_killed_is_redone_once(app, db, world, tmp_path):
    """kill -9 mid-export: the restarted worker takes the job again and writes one file."""
    point_queue_at(sqlite_queue())
    log = tmp_path / "worker.log"
    dead = Worker(database_url(), sqlite_queue(), log).start()
    dead.kill()
    # as the killed worker left it: the job and its run claimed by a process that is gone
    job = operations.queue_job(world["admin"], "ledger", {"filters": {}}, "x.xlsx", world["round"].created_at)
    job.status, job.progress, job.started_at = "running", 3, job.created_at
    db.session.add(JobRun(key=f"export:{job.id}", task="export.ledger", args=[job.id], status="running",
                          attempts=1, claimed_by=f"{queue_hostname()}:{dead.pid}", started_at=job.created_at))
    db.session.commit()
    before = set(exports_dir(app).glob("*")) if exports_dir(app).exists() else set()
    again = Worker(database_url(), sqlite_queue(), log).start()
    try:
        job = wait_for(db, job.id)
        assert (job.status, job.error, job.progress) == ("done", "", job.total)
        assert len(set(exports_dir(app).glob("*")) - before) == 1
        run = wait_run(db, f"export:{job.id}")
        assert (run.status, run.attempts) == ("done", 2)
    finally:
        again.stop()


def queue_hostname() -> str:
    import socket
    return socket.gethostname()


def test_progress_is_reported_every_n_rows(app, db, world, monkeypatch):
    monkeypatch.setattr(ledger, "PROGRESS_EVERY", 2)
    seen = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE export_jobs SET progress"):
            seen.append(parameters)

    job = operations.queue_job(world["admin"], "ledger", {"filters": {}}, "x.xlsx", world["round"].created_at)
    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        jobs.run(app, job.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert wait_for(db, job.id).status == "done"
    assert len(seen) == 15 // 2   # 7 problems + 8 events, every 2 rows


def test_the_same_export_is_not_queued_twice(db, world):
    admin, now = world["admin"], world["round"].created_at
    first = operations.queue_job(admin, "ledger", {"filters": {"status": "open"}}, "x.xlsx", now)
    again = operations.queue_job(admin, "ledger", {"filters": {"status": "open"}}, "x.xlsx", now)
    other = operations.queue_job(admin, "ledger", {"filters": {"status": "closed"}}, "x.xlsx", now)
    db.session.commit()
    assert first.id == again.id != other.id
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.event == "export")).all()) == 2
    with pytest.raises(Conflict, match="已有 2 个导出正在生成"):   # at most two at a time per user
        operations.queue_job(admin, "ledger", {"filters": {"status": "cancelled"}}, "x.xlsx", now)


def test_a_third_export_at_once_is_refused_with_a_message(app, client, db, login, world, small):
    for status in ("open", "closed"):
        db.session.add(ExportJob(user_id=world["admin"].id, kind="ledger", params={"filters": {"status": status}},
                                 file_name="x.xlsx", status="queued"))
    db.session.commit()
    login(world["admin"])
    resp = client.get("/ledger/export.xlsx")
    assert resp.status_code == 409 and "请等其完成后再导出" in resp.get_data(as_text=True)
    assert db.session.scalar(select(AuditLog).where(AuditLog.event == "export")) is None


def test_a_job_of_a_disabled_account_fails(app, db, world):
    liaison = world["users"]["unit"]
    job = operations.queue_job(liaison, "ledger", {"filters": {}}, "x.xlsx", world["round"].created_at)
    liaison.is_disabled = True
    db.session.commit()
    jobs.run(app, job.id)
    job = wait_for(db, job.id)
    assert job.status == "failed" and "账号已停用" in job.error and job.stored_name == ""


def test_stale_jobs_are_failed_not_left_running(app, client, db, login, world, frozen_clock):
    admin = world["admin"]
    running = ExportJob(user_id=admin.id, kind="ledger", params={}, file_name="x.xlsx", status="running",
                        created_at=frozen_clock.now - timedelta(hours=2), started_at=frozen_clock.now - timedelta(hours=2))
    fresh = ExportJob(user_id=admin.id, kind="ledger", params={}, file_name="y.xlsx", status="running",
                      created_at=frozen_clock.now, started_at=frozen_clock.now)
    db.session.add_all([running, fresh])
    db.session.commit()
    login(admin)
    page = client.get(f"/exports/{fresh.id}").get_data(as_text=True)
    assert "生成中" in page and 'http-equiv="refresh" content="2"' in page and "<progress" in page
    assert "<script>" not in page
    page = client.get(f"/exports/{running.id}").get_data(as_text=True)
    assert "导出中断" in page and "重新导出" in page
    db.session.rollback()
    assert db.session.get(ExportJob, running.id).status == "failed"
    assert db.session.get(ExportJob, fresh.id).status == "running"
    resp = client.get(f"/exports/{fresh.id}/download")
    assert resp.status_code == 303 and resp.headers["Location"] == f"/exports/{fresh.id}"


def test_an_expired_file_says_so(app, client, db, login, world, small, worker):
    local_disk_only()  # the file's time set on the disk
    login(world["admin"])
    job_id = int(client.get("/ledger/export.xlsx").headers["Location"].rsplit("/", 1)[1])
    job = wait_for(db, job_id)
    path = exports_dir(app) / job.stored_name
    old = time.time() - 8 * 86400
    os.utime(path, (old, old))
    assert jobs.remove_old_files() >= 1 and not path.exists()
    assert "已超过保存期限" in client.get(f"/exports/{job_id}").get_data(as_text=True)
    assert client.get(f"/exports/{job_id}/download").status_code == 303

