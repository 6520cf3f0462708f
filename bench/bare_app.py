"""Baseline for the fill page: bench/bare_page.html rendered by a bare WSGI callable.

    BENCH_SUBMISSION_ID=<id> gunicorn -c gunicorn.conf.py bench.bare_app:application

At startup (once per worker) the submission's questionnaire and answers are read through the app's
models inside an app context and turned into plain dicts; every request then only renders the
template with the app's own Jinja environment (same filters, same autoescaping). No Flask request,
no session, no database, no compression: what the page would cost as Jinja alone.
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

INPUTS = {"check": "radio", "single": "radio", "score": "radio", "multiple": "checkbox",
          "integer": "number", "decimal": "number", "date": "date", "text": "text"}
SCRIPTS = ("js/app.js", "js/expr.js", "js/form.js", "js/fill.js", "js/photos.js")


def _options(q, version) -> list[dict]:
    if q.type == "score":
        p = q.parameters or {}
        return [{"name": str(i), "label": str(i)} for i in range(p.get("start", 0), p.get("end", 10) + 1)]
    if q.type in ("check", "single", "multiple"):
        return [{"name": str(o["name"]), "label": o["label"]} for o in q.options(version)]
    return []


def _question(q, version, value) -> dict:
    if isinstance(value, list):
        values = [str(v) for v in value]
    else:
        values = [] if value in (None, "") else [str(value)]
    return {"name": q.name, "type": q.type, "label": q.label, "hint": q.hint, "required": q.required,
            "relevant_ast": q.relevant_ast, "constraint_ast": q.constraint_ast,
            "options": _options(q, version), "checked": values, "value": "" if value is None else value,
            "input": INPUTS.get(q.type, "text"),
            "group_class": "seg" if q.type in ("check", "score") else "opts",
            "role": "group" if q.type == "multiple" else "radiogroup"}


def load_data(flask_app, submission_id: int) -> dict:
    """Everything bare_page.html needs, as plain Python data (read once)."""
    from survey.extensions import db
    from survey.models import Submission

    with flask_app.test_request_context("/"):  # asset_url needs url_for
        sub = db.session.get(Submission, submission_id)
        version, answers = sub.version, dict(sub.answers or {})
        asset_url = flask_app.jinja_env.globals["asset_url"]
        sections = [{"name": s.name, "title": s.title or version.title, "hint": s.hint,
                     "relevant_ast": s.relevant_ast,
                     "questions": [_question(q, version, answers.get(q.name)) for q in s.questions]}
                    for s in version.sections]
        data = {"unit": sub.unit.name, "title": version.title, "number": version.number, "sid": sub.id,
                "total": sum(1 for q in version.questions if q.type != "note"), "sections": sections,
                "server": {"lock_version": sub.lock_version, "answers": answers, "facts": sub.facts,
                           "found": sub.found},
                "css_url": asset_url("css/app.css"), "scripts": [asset_url(n) for n in SCRIPTS],
                "token": secrets.token_urlsafe(66)}
        db.session.remove()
    return data


def compile_template(flask_app):
    return flask_app.jinja_env.from_string((HERE / "bare_page.html").read_text(encoding="utf-8"))


def _setup():
    from app import app as flask_app

    return compile_template(flask_app), load_data(flask_app, int(os.environ["BENCH_SUBMISSION_ID"]))


_TEMPLATE = _DATA = None


def application(environ, start_response):
    global _TEMPLATE, _DATA
    if _TEMPLATE is None:
        _TEMPLATE, _DATA = _setup()
    body = _TEMPLATE.render(_DATA).encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
    return [body]


if os.environ.get("BENCH_SUBMISSION_ID"):  # under gunicorn: load at import, not on the first request
    _TEMPLATE, _DATA = _setup()
