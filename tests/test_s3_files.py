"""Photos and evidence through the app with STORAGE_URL on moto's S3 server (a real HTTP S3 peer):
stored in the bucket, served back through the access checks (streamed, ranges, or a presigned
redirect), a second app host reading what the first wrote, and the sweep and backup commands."""
from __future__ import annotations

import urllib.request

import pytest
from sqlalchemy import select

from survey import backup, create_app
from survey.config import TestConfig
from survey.models import Evidence, Photo
from survey.storage import get_storage
from tests import s3peer
from tests.conftest import IsolatedClient, database_url
from tests.factories import make_ledger_world
from tests.test_evidence import Client, new_problem, sha
from tests.test_photos import Phone, build_world, image_bytes


def objects(bucket: str, namespace: str) -> dict[str, bytes]:
    peer = s3peer.client()
    found = peer.list_objects_v2(Bucket=bucket, Prefix=f"survey/{namespace}/").get("Contents", [])
    return {o["Key"].rpartition("/")[2]: peer.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in found}


def second_host(app):
    """Another app host: its own app object and (empty) instance folder, the same database and bucket."""
    config = TestConfig(database_url())
    config.STORAGE_URL = app.config["STORAGE_URL"]
    config.INSTANCE_PATH = app.instance_path + "-host-b"
    other = create_app(config)
    other.test_client_class = IsolatedClient
    return other


@pytest.fixture()
def world(db):
    return build_world(db)


def test_a_photo_goes_to_the_bucket_and_is_served_through_the_checks(app, db, world, s3_storage, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    data = image_bytes("JPEG")
    resp = Phone(app, world.liaison).upload(world.self_check, data, name="门口.jpg")
    assert resp.status_code == 201, resp.get_json()
    row = db.session.get(Photo, resp.get_json()["id"])
    assert objects(s3_storage, "photos") == {row.stored_name: data}
    assert not (tmp_path / "uploads").exists()  # nothing on the local disk
    got = Phone(app, world.liaison).get(f"/photos/{row.id}")
    assert got.status_code == 200 and got.data == data and got.mimetype == "image/jpeg"
    assert got.headers["Cache-Control"].startswith("private") and "inline" in got.headers["Content-Disposition"]
    part = Phone(app, world.liaison).client.get(f"/photos/{row.id}", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == data[:10]
    assert Phone(app, world.other_liaison).get(f"/photos/{row.id}").status_code == 404
    assert Phone(app, world.stranger).get(f"/photos/{row.id}").status_code == 403
    # Host B: another app on the same database and bucket serves the photo host A stored.
    other = second_host(app)
    got = Phone(other, world.liaison).get(f"/photos/{row.id}")
    assert got.status_code == 200 and got.data == data
    # Deleting it removes the object.
    assert Phone(app, world.liaison).delete(row.id).status_code in (200, 204)
    assert objects(s3_storage, "photos") == {}


def test_an_orphan_is_swept_and_a_half_upload_aborted(app, db, world, s3_storage):
    data = image_bytes("PNG")
    Phone(app, world.liaison).upload(world.self_check, data, name="a.png")
    store = get_storage()
    store.put("photos/" + "f" * 32 + ".png", b"orphan")
    half = store.writer("photos/" + "e" * 32 + ".png")
    half.__enter__().write(b"cut")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sweep-orphans", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert "已清理无主文件 2 个" in result.output  # the orphan and the open multipart upload
    kept = db.session.scalars(select(Photo.stored_name)).all()
    assert sorted(objects(s3_storage, "photos")) == sorted(kept) and len(kept) == 1
    assert s3peer.client().list_multipart_uploads(Bucket=s3_storage).get("Uploads", []) == []
    del half


def test_evidence_goes_to_the_bucket_and_is_streamed_or_presigned(app, db, s3_storage):
    world = make_ledger_world(db)
    problem = new_problem(db, world)
    content = b"%PDF-1.4\n" + b"x" * 70_000 + b"\n%%EOF\n"
    resp = Client(app, world["users"]["unit"]).upload(problem.id, (content, "整改报告.pdf"))
    assert resp.status_code == 201, resp.get_json()
    row = db.session.get(Evidence, resp.get_json()["evidence"][0]["id"])
    assert objects(s3_storage, "evidence") == {row.stored_name: content} and row.sha256 == sha(content)
    for role in ("unit", "checker", "admin"):
        got = Client(app, world["users"][role]).download(row.id)
        assert got.status_code == 200 and got.data == content and got.mimetype == "application/pdf"
        assert "attachment" in got.headers["Content-Disposition"]
    assert Client(app, world["users"]["other_unit"]).download(row.id).status_code == 404
    # presign: the same checks, then a short-lived link straight to the store
    app.config["STORAGE_URL"] += "&serve=presign&presign_seconds=60"
    got = Client(app, world["users"]["unit"]).download(row.id)
    assert got.status_code == 302 and got.headers["Cache-Control"] == "no-store"
    with urllib.request.urlopen(got.headers["Location"]) as direct:
        assert direct.read() == content and "attachment" in direct.headers["Content-Disposition"]
    assert Client(app, world["users"]["other_unit"]).download(row.id).status_code == 404


def test_a_missing_bucket_refuses_the_upload_cleanly_and_healthz_says_so(app, db, world, monkeypatch):
    client = app.test_client()
    assert client.get("/healthz").get_json()["storage"] == "ok"
    monkeypatch.setitem(app.config, "STORAGE_URL", s3peer.storage_url("no-such-bucket"))
    resp = Phone(app, world.liaison).upload(world.self_check, image_bytes("JPEG"))
    assert resp.status_code == 503 and "文件存储暂时无法访问" in resp.get_json()["message"]
    db.session.rollback()
    assert db.session.scalars(select(Photo)).all() == []  # no row for a file that is not there
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "error", "db": "ok",
                                                               "storage": "unavailable"}
    page = Phone(app, world.liaison).client.get("/healthz")
    assert page.status_code == 503


def test_flask_backup_skips_the_bucket_unless_asked_and_restore_fills_a_new_one(app, db, world, s3_storage,
                                                                                  tmp_path):
    from tests.test_backup import clean_machine, restore_target
    data = image_bytes("JPEG")
    Phone(app, world.liaison).upload(world.self_check, data)
    runner = app.test_cli_runner()
    plain = runner.invoke(args=["backup", str(tmp_path / "db-only")])
    assert plain.exit_code == 0, plain.output
    assert f"s3://{s3_storage}/survey" in plain.output and "文件 0 个" in plain.output
    manifest = backup.read_manifest(tmp_path / "db-only")
    assert manifest["files"] == {} and manifest["missing"] == [] and manifest["files_in"] == f"s3://{s3_storage}/survey"
    full = runner.invoke(args=["backup", "--with-files", str(tmp_path / "full")])
    assert full.exit_code == 0 and "文件 1 个" in full.output
    [(rel, meta)] = backup.read_manifest(tmp_path / "full")["files"].items()
    assert rel.startswith("uploads/") and meta["sha256"] == sha(data)
    # A clean machine with an empty bucket of its own: the restore puts the photo there.
    restored, bucket = clean_machine(tmp_path, restore_target(tmp_path)), s3peer.new_bucket()
    restored.config["STORAGE_URL"] = s3peer.storage_url(bucket)
    try:
        with restored.app_context():
            run = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "full")])
            assert run.exit_code == 0, run.output
            assert objects(bucket, "photos") == {rel.partition("/")[2]: data}
    finally:
        with restored.app_context():
            from survey.extensions import db as _db
            _db.session.remove()
            _db.engine.dispose()
