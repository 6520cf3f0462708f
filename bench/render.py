"""In-process part of bench/fill_page.py: server render time of the fill page vs bench/bare_page.html.

Imported only after INSTANCE_PATH and DATABASE_URL point at the temp instance (the app reads them
at import). Uses the Flask test client, logged in as the demo liaison.
"""
from __future__ import annotations

import cProfile
import pstats
import re
import time
from collections import defaultdict
from statistics import median

from bench.common import PASSWORD, ROOT, USER, csrf_from_login
from bench.bare_app import compile_template, load_data

SAMPLE_TEXT = "已按要求建立台账并每季度更新，相关会议记录和学习材料已归档备查。"


def demo_answers(version, i: int = 0) -> dict:
    """A plausible, fully filled draft (no photos); i varies one textarea so each save differs."""
    answers, first_text = {}, True
    for q in version.questions:
        opts = [o["name"] for o in q.options(version)]
        if q.type == "check":
            answers[q.name] = ("yes", "yes", "no", "na")[len(answers) % 4]
        elif q.type == "single" and opts:
            answers[q.name] = opts[0]
        elif q.type == "multiple" and opts:
            answers[q.name] = opts[:2]
        elif q.type == "score":
            answers[q.name] = 8
        elif q.type in ("integer", "decimal"):
            answers[q.name] = 3
        elif q.type == "date":
            answers[q.name] = "2023-03-15"
        elif q.type == "text":
            answers[q.name] = "王联络员"
        elif q.type == "textarea":
            answers[q.name] = SAMPLE_TEXT + (f"（第 {i} 次修改）" if first_text else "")
            first_text = False
    return answers


def login(flask_app, rid: int):
    """A logged-in test client, the submission id and the fill page's CSRF token."""
    client = flask_app.test_client()
    token = csrf_from_login(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, f"login failed: HTTP {resp.status_code}"
    resp = client.get(f"/rounds/{rid}/self-check")
    sid = int(re.search(r"/submissions/(\d+)", resp.headers["Location"]).group(1))
    page = client.get(f"/submissions/{sid}").get_data(as_text=True)
    return client, sid, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def prime(flask_app, rid: int) -> tuple[int, dict]:
    """Save a fully answered draft so every measurement renders the same, realistic page."""
    from survey.extensions import db
    from survey.models import Submission

    client, sid, token = login(flask_app, rid)
    with flask_app.app_context():
        sub = db.session.get(Submission, sid)
        answers, lock = demo_answers(sub.version), sub.lock_version
    resp = client.post(f"/submissions/{sid}/draft", json={"answers": answers, "lock_version": lock},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 200, f"priming draft: HTTP {resp.status_code}"
    return sid, answers


def measure(flask_app, rid: int, sid: int, n: int) -> dict:
    from flask import render_template
    from flask_login import login_user
    from sqlalchemy import event
    from survey.extensions import db
    from survey.filling import queries
    from survey.models import Submission, User

    client, _, _ = login(flask_app, rid)
    url = f"/submissions/{sid}"
    fill_html = client.get(url).get_data()

    sql = {"n": 0, "ms": 0.0}
    with flask_app.app_context():
        engine = db.engine

    def before(conn, *a):
        conn.info["t0"] = time.perf_counter()

    def after(conn, *a):
        sql["n"] += 1
        sql["ms"] += (time.perf_counter() - conn.info.pop("t0")) * 1000
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    client.get(url)
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)

    bare_tpl, bare_data = compile_template(flask_app), load_data(flask_app, sid)
    with flask_app.test_request_context(url):
        login_user(db.session.scalar(db.select(User).where(User.username == USER)))
        sub = db.session.get(Submission, sid)
        ctx = dict(submission=sub, version=sub.version, members=[], beside=queries.self_check_beside(sub))
        render_template("fill/fill.html", **ctx)  # loads every object the page needs, then detach them:
        db.session.remove()                      # "loaded" renders reuse them without touching the DB

        def fresh_render():  # a new session each time: the lazy loads a real request pays
            db.session.remove()
            s = db.session.get(Submission, sid)
            render_template("fill/fill.html", submission=s, version=s.version, members=[], beside={})
        runs = {"request": lambda: client.get(url), "fresh": fresh_render,
                "loaded": lambda: render_template("fill/fill.html", **ctx),
                "bare": lambda: render_template(bare_tpl, **bare_data)}
        bare_html = runs["bare"]().encode()
        ms: dict[str, list[float]] = {k: [] for k in runs}
        for i in range(10 + n):  # interleaved, so a busy machine slows all four alike
            for key, fn in runs.items():
                t = time.perf_counter()
                fn()
                if i >= 10:
                    ms[key].append((time.perf_counter() - t) * 1000)
        db.session.remove()
    return {"request_ms": median(ms["request"]), "template_ms": median(ms["loaded"]),
            "bare_ms": median(ms["bare"]), "fresh_ms": median(ms["fresh"]),
            "fill_bytes": len(fill_html), "bare_bytes": len(bare_html),
            "queries": sql["n"], "sql_ms": sql["ms"], "client": client, "url": url}


AREAS = (("templates/", "compiled templates (Jinja code of fill/base/_form)"), ("/jinja2/", "jinja2 runtime"),
         ("/markupsafe/", "markupsafe escaping"), ("/sqlalchemy/", "SQLAlchemy (ORM + core)"),
         ("sqlite3", "sqlite3 driver"), ("/json/", "json (tojson)"), ("/werkzeug/", "werkzeug"),
         ("/flask_login/", "flask_login"), ("/flask_wtf/", "flask_wtf (csrf)"), ("/flask/", "flask"),
         (str(ROOT / "survey") + "/", "survey app code"))


def profile(fn, n: int = 60, top: int = 10) -> None:
    """cProfile over n calls of fn (one request each): own time grouped by area, then top functions."""
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n):
        fn(i)
    prof.disable()
    stats = pstats.Stats(prof).stats
    by_area: dict[str, float] = defaultdict(float)
    total = 0.0
    for (path, _, _), (_, _, tt, _, _) in stats.items():
        total += tt
        by_area[next((label for key, label in AREAS if key in path), "other (stdlib, builtins)")] += tt
    print(f"  profile of {n} requests, own time per request "
          f"({total / n * 1000:.2f} ms total under cProfile):")
    for label, tt in sorted(by_area.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {tt / n * 1000:7.2f} ms  {tt / total:5.1%}  {label}")
    print("  top functions by own time (ms/request, calls/request):")
    rows = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    for (path, line, func), (_, nc, tt, ct, _) in rows:
        where = re.sub(r".*/site-packages/", "", path).replace(str(ROOT) + "/", "")
        print(f"    {tt / n * 1000:6.2f}  {nc / n:7.0f}x  {func}  "
              f"({where}:{line}, cumulative {ct / n * 1000:.2f} ms)")
    cum = sorted(((k, v) for k, v in stats.items() if "templates/" in k[0] or "/survey/" in k[0]),
                 key=lambda kv: -kv[1][3])[:6]
    print("  heaviest app/template frames by cumulative time (ms/request):")
    for (path, line, func), (_, _, _, ct, _) in cum:
        print(f"    {ct / n * 1000:6.2f}  {func}  ({path.replace(str(ROOT) + '/', '')}:{line})")


def profile_autosave(flask_app, rid: int, sid: int, answers_for, n: int = 60) -> None:
    """The same draft save in-process, under cProfile (run after the timed saves: it moves the lock)."""
    client, _, token = login(flask_app, rid)
    page = client.get(f"/submissions/{sid}").get_data()
    lock = [int(re.search(rb'"lock_version": ?(\d+)', page).group(1))]

    def save(i):
        resp = client.post(f"/submissions/{sid}/draft", headers={"X-CSRFToken": token},
                           json={"answers": answers_for(i), "lock_version": lock[0]})
        lock[0] = resp.get_json()["lock_version"]
    profile(save, n)
