"""The audit log (等保 安全审计): hash chain, tamper detection, retention, and the events that
were added for issue 8 (access denied, evidence download, every ledger step, client IP behind a
proxy). On SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from survey import audit, audit_chain, create_app
from survey.config import TestConfig
from survey.database import writing
from survey.extensions import db as _db
from survey.models import AuditLog, Role
from tests.conftest import csrf_from, database_url, do_login
from tests.factories import make_ledger_world, make_user


def write_rows(n: int, event: str = "user_update") -> None:
    with writing():
        for i in range(n):
            audit.record(event, actor_username=f"u{i}", details={"i": i, "text": "正文 <b>"})
            _db.session.commit()


def rows() -> list[AuditLog]:
    return list(_db.session.scalars(select(AuditLog).order_by(AuditLog.id)))


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_rows_are_chained_by_hash_and_verify(app, db):
    write_rows(5)
    chain = rows()
    assert chain[0].prev_hash == "" and all(len(r.row_hash) == 64 for r in chain)
    assert all(b.prev_hash == a.row_hash for a, b in zip(chain, chain[1:]))
    result = cli(app, "verify-audit")
    assert result.exit_code == 0 and "哈希链完整" in result.output and chain[-1].row_hash in result.output


@pytest.mark.parametrize("tamper, broken_index", [
    ("UPDATE audit_logs SET details = '{\"i\": 99}' WHERE id = :id2", 2),
    ("UPDATE audit_logs SET success = NOT success WHERE id = :id2", 2),
    ("UPDATE audit_logs SET actor_username = 'someone' WHERE id = :id2", 2),
    ("DELETE FROM audit_logs WHERE id = :id2", 3),
    ("DELETE FROM audit_logs WHERE id <= :id2", 3),
    ("UPDATE audit_logs SET row_hash = '' WHERE id = :id2", 2),
])
def test_direct_tampering_is_found_at_the_first_broken_row(app, db, tamper, broken_index):
    write_rows(5)
    ids = [r.id for r in rows()]
    with _db.engine.begin() as conn:
        conn.execute(text(tamper), {"id2": ids[2]})
    _db.session.rollback()
    report = audit_chain.verify_chain(_db.session)
    assert report.broken_id == ids[broken_index], report.reason
    result = cli(app, "verify-audit")
    assert result.exit_code == 1 and f"id={ids[broken_index]}" in result.output


def test_the_app_refuses_to_change_or_delete_audit_rows(app, db):
    write_rows(1)
    row = rows()[0]
    row.details = {"i": "changed"}
    with pytest.raises(PermissionError):
        _db.session.flush()
    _db.session.rollback()
    _db.session.delete(rows()[0])
    with pytest.raises(PermissionError):
        _db.session.flush()
    _db.session.rollback()
    assert audit_chain.verify_chain(_db.session).ok


def test_a_rolled_back_transaction_writes_no_audit_row(app, db):
    with writing():
        audit.record("user_update", actor_username="x")
        _db.session.rollback()
        _db.session.commit()
    assert rows() == []


def test_concurrent_writers_never_fork_the_chain(app, db):
    """Eight threads, each its own session and transaction, appending at once."""
    errors = []

    def worker(k: int) -> None:
        try:
            with app.app_context():
                write_rows(6, event=f"login")
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    chain = rows()
    assert len(chain) == 48
    assert len({r.prev_hash for r in chain}) == 48  # no two rows chained onto the same one
    assert audit_chain.verify_chain(_db.session).ok


def test_prune_keeps_the_retention_period_and_re_anchors_the_chain(app, db, frozen_clock):
    write_rows(3)                                   # 2026-03-02: old
    frozen_clock.advance(timedelta(days=100))
    write_rows(2)                                   # 100 days later: kept
    frozen_clock.advance(timedelta(days=150))       # now: the first three are 250 days old
    old_kept = [r.id for r in rows()][3:]
    assert cli(app, "prune-audit", "--days", "30").exit_code != 0  # below the 190-day floor
    result = cli(app, "prune-audit", "--days", "200")
    assert result.exit_code == 0 and "3 行" in result.output
    chain = rows()
    assert [r.id for r in chain][:2] == old_kept and chain[-1].event == "audit_prune"
    assert chain[-1].details["deleted"] == 3 and chain[-1].details["anchor"] == chain[0].prev_hash
    assert audit_chain.verify_chain(_db.session).ok
    assert cli(app, "verify-audit").exit_code == 0
    # rows deleted from the start behind the app's back are still found
    with _db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_logs WHERE id = :id"), {"id": chain[0].id})
    _db.session.rollback()
    assert audit_chain.verify_chain(_db.session).broken_id == chain[1].id


def test_retention_is_configurable_with_a_floor(app):
    assert app.config["AUDIT_RETENTION_DAYS"] >= 190
    with pytest.raises(ValueError):
        audit_chain.retention_cutoff(100)


def test_rows_written_before_the_chain_existed_are_counted_not_failed(app, db):
    with _db.engine.begin() as conn:
        conn.execute(AuditLog.__table__.insert(), [{"event": "login", "created_at": audit.utcnow(),
                                                    "details": {}} for _ in range(2)])
    write_rows(2)
    report = audit_chain.verify_chain(_db.session)
    assert report.ok and report.legacy == 2 and report.rows == 4


# --- events -----------------------------------------------------------------------------------------

def events(name: str) -> list[AuditLog]:
    _db.session.rollback()
    return list(_db.session.scalars(select(AuditLog).where(AuditLog.event == name).order_by(AuditLog.id)))


def test_access_denied_is_on_record_with_user_role_ip_and_request_id(client, db):
    user = make_user(Role.UNIT, username="nosy")
    do_login(client, "nosy")
    resp = client.get(f"/admin/users/{user.id}", headers={"X-Request-ID": "req-123"})
    assert resp.status_code == 403
    [row] = events("access_denied")
    assert (row.actor_username, row.actor_role, row.success, row.request_id) == ("nosy", "unit", False, "req-123")
    assert row.details == {"endpoint": "admin.user_edit", "method": "GET", "ids": {"user_id": user.id}}
    assert row.ip == "127.0.0.1" and row.created_at.tzinfo is not None
    token = csrf_from(client.get("/account").get_data(as_text=True))
    assert client.post("/admin/units/new", data={"csrf_token": token}).status_code == 403
    assert len(events("access_denied")) == 2 and audit_chain.verify_chain(_db.session).ok


def test_a_hostile_request_id_is_replaced(client, db):
    for hostile in ("<script>alert(1)</script>", "a" * 37, "id with spaces", "正文"):
        resp = client.get("/login", headers={"X-Request-ID": hostile})
        assert resp.headers["X-Request-ID"] != hostile and len(resp.headers["X-Request-ID"]) == 36
    assert client.get("/login", headers={"X-Request-ID": "lb-42.a_b"}).headers["X-Request-ID"] == "lb-42.a_b"


def test_every_ledger_step_is_one_audit_row(app, db):
    world = make_ledger_world(db)
    from survey.filling.problems import create_problems
    from survey.ledger import operations as ledger
    from datetime import date

    [problem] = create_problems(world["submission"], [{"description": "问题", "category": "其他"}],
                                world["admin"], date(2023, 5, 1))
    db.session.commit()
    liaison = world["users"]["unit"]
    ledger.accept(liaison, problem, None, measures="整改", responsible_person="张三", planned_on=None)
    ledger.report(liaison, problem, None, result="已完成")
    db.session.commit()
    ledger.verify(world["users"]["checker"], problem, None)
    db.session.commit()
    steps = [r for r in rows() if r.event.startswith("problem_")]
    assert [r.event for r in steps] == ["problem_create", "problem_accept", "problem_report", "problem_verify"]
    assert steps[-1].actor_username == "checker" and steps[-1].target_label == problem.code
    assert steps[-1].details == {"from": "pending_review", "to": "closed"}
    assert audit_chain.verify_chain(_db.session).ok


def test_evidence_download_is_on_record(app, db, tmp_path, monkeypatch):
    from tests.test_evidence import ACCEPTED, Client, new_problem, upload_one

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    world = make_ledger_world(db)
    problem = new_problem(db, world)
    content, name, _ = ACCEPTED["pdf"]
    body = upload_one(app, world["users"]["unit"], problem, content, name)
    assert Client(app, world["users"]["checker"]).download(body["id"]).status_code == 200
    assert Client(app, world["users"]["other_unit"]).download(body["id"]).status_code == 404
    [row] = events("evidence_download")
    assert row.actor_username == "checker" and row.target_label == problem.code
    assert row.details == {"evidence_id": body["id"], "name": name, "sha256": body["sha256"]}


def test_client_ip_behind_a_trusted_proxy_only(db):
    make_user(Role.ADMIN, username="proxied")
    for trust, expected in ((0, "127.0.0.1"), (1, "203.0.113.7")):
        config = TestConfig(database_url())
        config.TRUST_PROXY = trust
        client = create_app(config).test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"csrf_token": token, "username": "proxied", "password": "wrong"},
                    headers={"X-Forwarded-For": "203.0.113.7"})
        assert events("login_failed")[-1].ip == expected


def test_no_password_token_or_cookie_lands_in_audit_rows_or_logs(app, client, db, caplog):
    make_user(Role.ADMIN, username="careful")
    secret = "Wr0ng#Secret-Passw0rd"
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": token, "username": "careful", "password": secret})
    do_login(client, "careful")
    cookie = client.get_cookie("survey_session").value
    client.post("/login", data={"csrf_token": "forged", "username": "careful", "password": secret})
    with writing():
        audit.record("user_update", actor_username="x", details={"password": secret, "new": {"csrf_token": token}})
        _db.session.commit()
    dump = " ".join(f"{r.actor_username} {r.target_label} {r.details}" for r in rows())
    for value in (secret, token, cookie):
        assert value not in dump and value not in caplog.text
    assert _db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "csrf_failed")) == 1
