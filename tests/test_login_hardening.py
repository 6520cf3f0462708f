"""The login under attack (issue 12): parallel guesses for one account are counted atomically on
both engines, and the answer for an unknown username cannot be told from a wrong password, by
its text or by its time."""
from __future__ import annotations

import statistics
import threading
import time

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from survey.auth.operations import WRONG_CREDENTIALS
from survey.models import AuditLog, Role, User
from tests.conftest import get_csrf
from tests.factories import make_user

LOCKED = "账号已锁定"


def test_twenty_parallel_guesses_check_at_most_five_passwords(app, db):
    make_user(Role.ADMIN, username="boss")
    clients = [app.test_client() for _ in range(20)]
    tokens = [get_csrf(c) for c in clients]
    start, answers = threading.Barrier(20), []

    def guess(client, token):
        start.wait()
        resp = client.post("/login", data={"csrf_token": token, "username": "boss", "password": "Wrong@1234"})
        answers.append((resp.status_code, resp.get_data(as_text=True)))

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.rollback()
    assert [code for code, _ in answers] == [401] * 20
    checked = [body for _, body in answers if LOCKED not in body or "连续输错 5 次" in body]
    assert len(checked) <= 5, f"{len(checked)} passwords checked"
    rows = list(db.session.scalars(select(AuditLog).where(AuditLog.event.in_(("login_failed", "lockout")))))
    assert sum(1 for r in rows if r.details.get("reason") == "bad_password") == len(checked) == 5
    assert sum(1 for r in rows if r.event == "lockout") == 1
    user = db.session.scalar(select(User).where(User.username == "boss"))
    assert user.locked_until is not None and user.failed_login_count == 0


def _post_login(client, username: str) -> tuple[float, str]:
    token = get_csrf(client)
    began = time.perf_counter()
    resp = client.post("/login", data={"csrf_token": token, "username": username, "password": "Wrong@1234"})
    elapsed = time.perf_counter() - began
    assert resp.status_code == 401
    return elapsed, resp.get_data(as_text=True)


def _message(html: str) -> str:
    start = html.index('id="password-err"')
    return html[start:html.index("<", start)]


def test_unknown_username_and_wrong_password_get_the_same_text(client, db):
    make_user(Role.ADMIN, username="boss")
    _, known = _post_login(client, "boss")
    _, unknown = _post_login(client, "nobody")
    assert WRONG_CREDENTIALS in known and "再错" not in known
    assert _message(known) == _message(unknown)


def test_unknown_username_takes_as_long_as_a_wrong_password(app, client, db):
    """With the production hash (scrypt): a username that does not exist costs one dummy hash."""
    user = make_user(Role.ADMIN, username="boss")
    user.password_hash = generate_password_hash("Right@12345", method="scrypt")
    db.session.commit()
    saved = app.config["PASSWORD_HASH_METHOD"], app.config["LOCKOUT_THRESHOLD"]
    app.config["PASSWORD_HASH_METHOD"], app.config["LOCKOUT_THRESHOLD"] = "scrypt", 1000
    try:
        _post_login(client, "nobody")  # the dummy hash is made once per process
        known, unknown = [], []
        for _ in range(12):
            known.append(_post_login(client, "boss")[0])
            unknown.append(_post_login(client, "nobody")[0])
    finally:
        app.config["PASSWORD_HASH_METHOD"], app.config["LOCKOUT_THRESHOLD"] = saved
    k, u = statistics.median(known), statistics.median(unknown)
    assert k > 0.01 and u > 0.01, (k, u)  # both really hashed
    assert abs(k - u) < 0.35 * max(k, u), f"known {k * 1000:.0f} ms vs unknown {u * 1000:.0f} ms"
