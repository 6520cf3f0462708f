"""The ledger import's preview file in the storage and its claim as a database row: a preview on host
A confirmed on host B (both on moto's S3 server), a second confirm refused, and two confirms at once
from two hosts importing exactly once."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from survey.models import AuditLog, ImportClaim
from tests.conftest import csrf_from, do_login
from tests.test_ledger_import import OFFICE_ROWS, by_code, import_files, ledger, upload, world  # noqa: F401
from tests.test_s3_files import objects, second_host


def preview(app, world):
    client = app.test_client()
    do_login(client, world["admin"].username)
    resp = upload(client, ledger(OFFICE_ROWS), world["round"].id)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:500]
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    return client, {"csrf_token": csrf_from(html), "token": token, "round_id": str(world["round"].id),
                    "filename": "台账.xlsx"}


def logged_in(app, world):
    client = app.test_client()
    do_login(client, world["admin"].username)
    page = client.get("/ledger/import").get_data(as_text=True)
    return client, csrf_from(page)


def imports_logged(db) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "ledger_import"))


def test_a_preview_on_one_host_is_confirmed_on_another_once(app, db, world, s3_storage):
    _, confirm = preview(app, world)
    assert list(objects(s3_storage, "imports")) == [f"{confirm['token']}.xlsx"]
    other, csrf = logged_in(second_host(app), world)
    resp = other.post("/ledger/import/confirm", data={**confirm, "csrf_token": csrf})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    assert len(by_code(db)) == 4 and objects(s3_storage, "imports") == {} and import_files(app) == []
    assert db.session.get(ImportClaim, confirm["token"]) is not None
    again, csrf = logged_in(app, world)
    refused = again.post("/ledger/import/confirm", data={**confirm, "csrf_token": csrf})
    assert refused.status_code == 409 and "已导入或已失效" in refused.get_data(as_text=True)
    assert len(by_code(db)) == 4 and imports_logged(db) == 1


def test_two_confirms_at_once_from_two_hosts_import_once(app, db, world, s3_storage):
    _, confirm = preview(app, world)
    hosts = [logged_in(app, world), logged_in(second_host(app), world)]
    start, answers = threading.Barrier(2), []

    def post(client, csrf):
        start.wait()
        answers.append(client.post("/ledger/import/confirm", data={**confirm, "csrf_token": csrf}).status_code)

    threads = [threading.Thread(target=post, args=host) for host in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers) == [303, 409]
    db.session.rollback()
    assert len(by_code(db)) == 4 and imports_logged(db) == 1 and objects(s3_storage, "imports") == {}


def test_a_failed_import_gives_the_claim_back(app, db, world, s3_storage, monkeypatch):
    from survey.ledger import importing
    _, confirm = preview(app, world)
    client, csrf = logged_in(app, world)
    real = importing.import_ledger

    def broken(*args, **kwargs):
        raise ConnectionError("database went away mid-import")

    monkeypatch.setattr(importing, "import_ledger", broken)
    resp = client.post("/ledger/import/confirm", data={**confirm, "csrf_token": csrf})
    assert resp.status_code == 500
    db.session.rollback()
    assert db.session.get(ImportClaim, confirm["token"]) is None and len(objects(s3_storage, "imports")) == 1
    monkeypatch.setattr(importing, "import_ledger", real)
    assert client.post("/ledger/import/confirm", data={**confirm, "csrf_token": csrf}).status_code == 303
    assert len(by_code(db)) == 4
