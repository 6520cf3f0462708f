"""Text that cannot be encoded (a lone UTF-16 surrogate) or NUL (issue 12): refused with a 400 at
the request boundary wherever it comes from, and harmless when it is already stored."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select, text

from survey.extensions import db as _db
from survey.filling import operations as filling
from survey.models import Submission
from survey.request_text import INVALID_TEXT
from tests.conftest import do_login, get_csrf
from tests.test_filling import world  # noqa: F401  (fixture)

BAD = ["\ud800", "\udfff", "a\x00b"]


def _liaison(app, world):  # noqa: F811
    client = app.test_client()
    assert do_login(client, "liaison-a").status_code == 302
    sub = filling.open_submission(world["round"], world["unit_a"], "self_check", world["liaison_a"])
    _db.session.commit()
    return client, sub


def _text_question(sub: Submission) -> str:
    return next(q.name for q in sub.version.questions if q.type == "text")


def _refused(resp) -> None:
    assert resp.status_code == 400, resp.status_code
    assert INVALID_TEXT in resp.get_data(as_text=True)


@pytest.mark.parametrize("bad", BAD)
def test_an_autosave_with_invalid_text_is_refused_and_nothing_is_stored(app, world, db, bad):  # noqa: F811
    client, sub = _liaison(app, world)
    page = f"/submissions/{sub.id}"
    token = get_csrf(client, "/account")
    body = json.dumps({"lock_version": sub.lock_version, "answers": {_text_question(sub): f"说明{bad}"}})
    resp = client.post(f"{page}/draft", data=body, content_type="application/json",
                       headers={"X-CSRFToken": token, "Accept": "application/json"})
    _refused(resp)
    assert resp.is_json and resp.get_json()["message"] == INVALID_TEXT
    assert db.session.get(Submission, sub.id).answers == {}
    # A key is text as well.
    body = json.dumps({"lock_version": sub.lock_version, "answers": {f"q{bad}": "x"}})
    _refused(client.post(f"{page}/draft", data=body, content_type="application/json",
                         headers={"X-CSRFToken": token, "Accept": "application/json"}))
    assert client.get(page).status_code == 200


@pytest.mark.parametrize("bad", ["a\x00b", "\x00"])  
def test_query_strings_form_fields_and_upload_names_with_invalid_text_are_refused(app, world, db, bad):  # noqa: F811
    """Invalid UTF-8 in them (a surrogate's bytes) becomes U+FFFD: NUL is what can arrive."""
    client = app.test_client()
    assert do_login(client, "boss").status_code == 302
    _refused(client.get("/ledger", query_string={"q": f"x{bad}"}))
    _refused(client.get("/ledger", query_string={f"q{bad}": "x"}))
    token = get_csrf(client, "/account")
    _refused(client.post("/admin/units/new", data={"csrf_token": token, "name": f"新单位{bad}"}))
    upload = (io.BytesIO(b"name\n"), f"units{bad}.xlsx")
    _refused(client.post("/admin/units/import", data={"csrf_token": token, "file": upload},
                         content_type="multipart/form-data"))


def _store_bad_answer(sub: Submission, question: str) -> None:
    """Written behind the app's back, as a row stored before the boundary check would be. SQLite
    keeps the JSON escape as it is; PostgreSQL's json type accepts it too."""
    answers = json.dumps({question: "坏字符\ud800在此"})  # ensure_ascii: the escape itself
    _db.session.execute(text("UPDATE submissions SET answers = :a WHERE id = :id"), {"a": answers, "id": sub.id})
    _db.session.commit()


def test_pages_still_render_text_already_stored(app, world, db):  # noqa: F811
    client, sub = _liaison(app, world)
    question = _text_question(sub)
    try:
        _store_bad_answer(sub, question)
    except Exception:  # noqa: BLE001 - the engine refuses such text: nothing can be stored
        _db.session.rollback()
        pytest.skip("this database refuses the escape: no such text can be stored")
    stored = _db.session.scalar(select(Submission.answers).where(Submission.id == sub.id))
    assert stored[question] == "坏字符\ud800在此"
    resp = client.get(f"/submissions/{sub.id}")  # the liaison's form
    assert resp.status_code == 200 and "坏字符\ufffd在此" in resp.get_data(as_text=True)
    _db.session.execute(text("UPDATE submissions SET state = 'submitted' WHERE id = :id"), {"id": sub.id})
    _db.session.commit()
    admin = app.test_client()
    assert do_login(admin, "boss").status_code == 302
    resp = admin.get(f"/submissions/{sub.id}")  # the administrator's view of the self-check
    assert resp.status_code == 200 and "坏字符\ufffd在此" in resp.get_data(as_text=True)
    inspector = app.test_client()
    assert do_login(inspector, "insp-a").status_code == 302
    resp = inspector.get(f"/rounds/{world['round'].id}/units/{world['unit_a'].id}/pack")  # 问诊包
    assert resp.status_code == 200 and "坏字符\ufffd在此" in resp.get_data(as_text=True)


def test_the_answers_export_survives_text_already_stored(app, world, db):  # noqa: F811
    client, sub = _liaison(app, world)
    question = _text_question(sub)
    try:
        _store_bad_answer(sub, question)
    except Exception:  # noqa: BLE001
        _db.session.rollback()
        pytest.skip("this database refuses the escape: no such text can be stored")
    _db.session.execute(text("UPDATE submissions SET state = 'submitted' WHERE id = :id"), {"id": sub.id})
    _db.session.commit()
    admin = app.test_client()
    assert do_login(admin, "boss").status_code == 302
    resp = admin.get(f"/rounds/{world['round'].id}/answers.xlsx")
    assert resp.status_code == 200, resp.status_code
