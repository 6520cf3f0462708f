"""Idempotent submits (ODK Central's rule: a resend with the same instance id is stored once, a
conflicting one refused) and drafts that survive an idle timeout. Concurrent identical submits
are in tests/test_filling.py; logout and password change replays in tests/test_auth_views.py."""
from __future__ import annotations

import itsdangerous
from sqlalchemy import func, select

from survey.models import AuditLog, Problem, Submission
from tests.conftest import csrf_from, do_login


def json_post(client, url, body):
    token = csrf_from(client.get("/account").get_data(as_text=True))
    return client.post(url, json=body, headers={"X-CSRFToken": token, "Accept": "application/json"})


def state(db, sid):
    db.session.rollback()
    sub = db.session.get(Submission, sid)
    return (sub.state, dict(sub.answers), sub.submit_token, sub.lock_version,
            db.session.scalar(select(func.count(Problem.id))), db.session.scalar(select(func.count(Submission.id))),
            db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "submission_submit")))


def test_a_submit_whose_answer_was_lost_is_retried_safely(app, db, world):
    u = world.units[1]  # a unit whose self-check is still a draft
    sid = u.ids["submission"][0]
    client = app.test_client()
    do_login(client, u.liaison.username)
    answers = {"q1": "yes", "txt": "本单位已落实"}
    submits_before = state(db, sid)[6]
    first = json_post(client, f"/submissions/{sid}/submit", {"answers": answers, "token": "phone-123"})
    assert first.status_code == 201  # committed; pretend the phone never saw this answer
    stored = state(db, sid)
    assert stored[0] == "submitted" and stored[6] == submits_before + 1
    retry = json_post(client, f"/submissions/{sid}/submit", {"answers": answers, "token": "phone-123"})
    assert retry.status_code == 200 and retry.get_json()["id"] == sid and retry.get_json()["created"] is False
    assert state(db, sid) == stored
    other = json_post(client, f"/submissions/{sid}/submit", {"answers": {**answers, "txt": "改过的"}, "token": "phone-123"})
    assert other.status_code in (409, 422) and "不一致" in other.get_json()["message"]
    second = json_post(client, f"/submissions/{sid}/submit", {"answers": answers, "token": "another-tab"})
    assert second.status_code == 409 and "已提交" in second.get_json()["message"]
    assert state(db, sid) == stored  # one row, the original answers, one audit row


def test_a_draft_survives_the_idle_timeout(app, db, world, monkeypatch):
    now = [1_900_000_000.0]

    class FakeTime:
        @staticmethod
        def time():
            return now[0]

    monkeypatch.setattr(itsdangerous.timed, "time", FakeTime)
    u = world.units[1]
    sid = u.ids["submission"][0]
    client = app.test_client()
    do_login(client, u.liaison.username)
    lock = state(db, sid)[3]
    saved = json_post(client, f"/submissions/{sid}/draft", {"answers": {"txt": "写了一半"}, "lock_version": lock})
    assert saved.status_code == 200
    now[0] += 31 * 60
    late = client.post(f"/submissions/{sid}/draft", json={"answers": {"txt": "丢失?"}},
                       headers={"Accept": "application/json"})
    assert late.status_code in (302, 400, 401)  # the session is gone; the phone keeps its copy
    do_login(client, u.liaison.username)
    page = client.get(f"/submissions/{sid}").get_data(as_text=True)
    assert "写了一半" in page and state(db, sid)[1]["txt"] == "写了一半"
