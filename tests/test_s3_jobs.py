"""A ledger export job and a ledger import with STORAGE_URL on moto's S3 server: the job's file is
written to the bucket by a real worker process (`flask worker`, on the same bucket) and downloaded from another app host; a preview made on
one host is confirmed on another, and a double confirm (one after the other, or at once from two
hosts) imports once."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from survey.models import ExportJob
import pytest

from tests.conftest import csrf_from, database_url, do_login
from tests.queue_worker import Worker, point_queue_at, sqlite_queue
from tests.test_export import data_rows, world  # noqa: F401  (the same ledger world)
from tests.test_export_jobs import small, wait_for  # noqa: F401
from tests.test_s3_files import objects, second_host


@pytest.fixture()
def s3_worker(app, s3_storage, monkeypatch, tmp_path):
    """A worker process whose files go to this test's bucket."""
    monkeypatch.setenv("STORAGE_URL", app.config["STORAGE_URL"])
    point_queue_at(sqlite_queue())
    worker = Worker(database_url(), sqlite_queue(), tmp_path / "worker.log").start()
    yield worker
    assert worker.stop() == 0


def test_an_export_job_writes_to_the_bucket_and_downloads_from_another_host(app, db, world, small, s3_storage,
                                                                             s3_worker):
    client = app.test_client()
    do_login(client, world["admin"].username)
    resp = client.get(f"/ledger/export.xlsx?round={world['round'].id}")
    assert resp.status_code == 303
    job = wait_for(db, int(resp.headers["Location"].rsplit("/", 1)[1]))
    assert (job.status, job.error) == ("done", "")
    stored = objects(s3_storage, "exports")
    assert list(stored) == [job.stored_name]
    other = second_host(app).test_client()
    do_login(other, world["admin"].username)
    got = other.get(f"/exports/{job.id}/download")
    assert got.status_code == 200 and got.data == stored[job.stored_name]
    assert got.headers["Cache-Control"] == "no-store" and "attachment" in got.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(got.data))
    assert [r[1] for r in data_rows(wb["问题台账"])] == [f"2023-00{n}" for n in range(7, 0, -1)]
    stranger = second_host(app).test_client()
    do_login(stranger, world["users"]["unit"].username)
    assert stranger.get(f"/exports/{job.id}/download").status_code == 404
    assert db.session.get(ExportJob, job.id).user_id == world["admin"].id
