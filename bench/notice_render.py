#!/usr/bin/env python
"""Printing, and producing the .docx of, one numbered notice (issue 14, Speed: under 200 ms each).

    .venv/bin/python bench/notice_render.py [--runs 20]

A temp SQLite instance (migrations, the demo district), one 督办单 issued on a demo problem, then
through the Flask test client as the demo administrator, `--runs` times each, interleaved:
  page      GET /notices/<id>            the printable page (request, access check, render)
  docx      GET /notices/<id>/docx       the Word document filled by docxtpl
  problem   GET /ledger/<problem id>     the problem's page: the baseline, in the same run
and, in process, render_docx() alone (the docxtpl fill and save). Prints the median and the
slowest of each, the ratios to the baseline and PASS/FAIL against 200 ms; exits 0 (a measurement,
not a test). The temp folder is removed at the end.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_MS = 200.0


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="survey-bench-notice-"))
    os.environ.update(INSTANCE_PATH=str(tmp), DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}")
    os.environ.pop("SECRET_KEY", None)
    try:
        run(args.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(runs: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from survey import create_app
    from survey.extensions import db
    from survey.models import Problem
    from survey.notices import docx, queries
    from survey.notices.document import build_document
    from survey.notices.numbering import issue_notice
    from survey.seed import seed_demo
    from survey.seed_data import DEMO_PASSWORD

    app = create_app()
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        problem = db.session.scalar(select(Problem).where(Problem.round_id.is_not(None)).order_by(Problem.id))
        notice = issue_notice(problem.round, "duban", problem.unit_id, problem_id=problem.id,
                              body="请于办理期限前报送整改完成情况及佐证材料。")
        db.session.commit()
        notice_id, problem_id = notice.id, problem.id
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD,
                                       "csrf_token": token}).status_code == 302

    def get(url: str):
        def go():
            resp = client.get(url)
            assert resp.status_code == 200, (url, resp.status_code)
            resp.get_data()
        return go

    def fill_only():
        with app.test_request_context():
            from survey.models import User
            admin = db.session.scalar(select(User).where(User.username == "admin"))
            found, prob = queries.get_notice_or_404(admin, notice_id)
            docx.render_docx(build_document(found, prob, found.unit, found.round))

    cases = {"page": get(f"/notices/{notice_id}"), "docx": get(f"/notices/{notice_id}/docx"),
             "problem": get(f"/ledger/{problem_id}"), "render_docx": fill_only}
    for fn in cases.values():   # warm: templates compiled, the template file read once
        fn()
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            times[name].append(timed(fn))
    base = statistics.median(times["problem"])
    print(f"notice render, {runs} runs each (ms; median, slowest; ratio of medians to the problem page)")
    for name, values in times.items():
        med = statistics.median(values)
        target = f"target < {TARGET_MS:.0f} ms: {'PASS' if med < TARGET_MS else 'FAIL'}" \
            if name in ("page", "docx") else "baseline" if name == "problem" else "in process"
        print(f"  {name:<12} median {med:7.1f}  slowest {max(values):7.1f}  ×{med / base:4.2f}  {target}")


if __name__ == "__main__":
    main()
