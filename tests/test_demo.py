"""The living demo (flask seed-demo): the contract of issue 13 through the HTTP client,
determinism, idempotency, --empty, and the build time (printed, loosely bounded)."""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from survey import clock
from survey.ledger.categories import restore_default_categories
from survey.models import (AuditLog, Evidence, Photo, Problem, ProblemEvent, QuestionnaireVersion, Round,
                           Submission, Unit, User)
from survey.models.problem import STATUS_LABELS
from survey.questionnaires import cache as version_cache
from survey.seed import seed_demo
from survey.seed_data import DEMO_PASSWORD
from tests.conftest import do_login


def _seed(app, *args):
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _current_round(db) -> Round:
    return db.session.scalar(select(Round).where(Round.ends_on >= clock.today()))


def _logged_in(app, username: str):
    client = app.test_client()
    assert do_login(client, username, DEMO_PASSWORD).status_code == 302
    return client


def test_contract_after_make_run(app, db):
    """make run on an empty database: the three acceptance checks of issue 13."""
    started = time.perf_counter()
    output = _seed(app)
    seconds = time.perf_counter() - started
    print(f"\nseed-demo built the living district in {seconds:.1f} s")
    assert "用时" in output and seconds < 60  # the budget is 15 s on a quiet machine (README)
    rnd = _current_round(db)
    assert rnd is not None and rnd.self_check_deadline > clock.today() and rnd.starts_on <= clock.today()

    liaison = _logged_in(app, "liaison-nyncj")
    page = liaison.get(f"/rounds/{rnd.id}/self-check", follow_redirects=True)
    assert page.status_code == 200 and rnd.name in page.get_data(as_text=True)
    unit = db.session.scalar(select(Unit).where(Unit.name == "农业农村局"))
    sub = db.session.scalar(select(Submission).where(Submission.round_id == rnd.id, Submission.unit_id == unit.id,
                                                     Submission.kind == "self_check"))
    assert sub.state in ("draft", "submitted")

    board = _logged_in(app, "admin").get("/dashboard").get_data(as_text=True)
    shown = {label for label in STATUS_LABELS.values()
             if (m := re.search(rf">{label}</th>\s*<td>(?:<a[^>]*>)?([\d,]+)", board)) and m.group(1) != "0"}
    assert len(shown) >= 4, shown

    ledger = _logged_in(app, "inspector1").get("/ledger?warn=overdue")
    assert ledger.status_code == 200
    assert re.search(r'light-red[^>]*>\s*逾期', ledger.get_data(as_text=True))


def test_the_demo_has_every_state_and_colour(app, db):
    _seed(app)
    today = clock.today()
    current, earlier = _current_round(db), db.session.scalar(select(Round).where(Round.ends_on < today))
    assert earlier is not None and earlier.code != current.code
    assert set(db.session.scalars(select(Problem.status).where(Problem.round_id == earlier.id))) == {"closed"}
    statuses = set(db.session.scalars(select(Problem.status).where(Problem.round_id == current.id)))
    assert statuses == {"open", "in_progress", "pending_review", "closed", "cancelled"}
    live = select(Problem).where(Problem.round_id == current.id, Problem.status.in_(("open", "in_progress")))
    problems = list(db.session.scalars(live))
    assert any(p.deadline and p.deadline < today for p in problems)                       # 逾期
    assert any(p.deadline and 0 <= (p.deadline - today).days <= 7 for p in problems)      # 临期
    assert any(p.extension_deadline for p in problems)                                    # 延期 pending
    actions = set(db.session.scalars(select(ProblemEvent.action)))
    assert {"return", "close_on_site", "add_evidence", "verify", "approve_extension"} <= actions
    total = db.session.scalar(select(func.count(Problem.id)))
    closed = db.session.scalar(select(func.count(Problem.id)).where(Problem.status == "closed"))
    assert 150 <= total <= 200 and closed == 80  # the seed document: ~175 risk points, 80 solved
    states = dict(db.session.execute(select(Submission.state, func.count()).where(
        Submission.round_id == current.id, Submission.kind == "self_check").group_by(Submission.state)).all())
    assert states["submitted"] > 60 and states["draft"] >= 3 and sum(states.values()) < 86  # some not started
    visits = db.session.scalars(select(Submission).where(Submission.round_id == current.id,
                                                         Submission.kind == "visit")).all()
    assert 20 < len(visits) < 86 and db.session.scalar(select(func.count(Photo.id))) > 0
    assert db.session.scalar(select(func.count(Evidence.id))) > 0
    past = db.session.scalar(select(func.min(ProblemEvent.created_at)))
    assert past.date() < earlier.ends_on  # events are dated when they happened


def _snapshot(db) -> dict:
    """Every row that matters, without ids and timestamps."""
    code = {p.id: p.code for p in db.session.scalars(select(Problem))}
    unit = {u.id: u.name for u in db.session.scalars(select(Unit))}
    return {
        "problems": sorted((p.code, unit[p.unit_id], p.status, p.category, p.severity, p.source, p.description,
                            str(p.found_on), str(p.deadline), str(p.extension_deadline), p.measures or "",
                            p.result or "") for p in db.session.scalars(select(Problem))),
        "events": sorted((code[e.problem_id], e.action, e.from_status, e.to_status, e.comment)
                         for e in db.session.scalars(select(ProblemEvent))),
        "submissions": sorted((unit[s.unit_id], s.kind, s.state, repr(sorted(s.answers.items())))
                              for s in db.session.scalars(select(Submission))),
        "photos": sorted((p.question_name, p.sha256) for p in db.session.scalars(select(Photo))),
        "evidence": sorted((code[e.problem_id], e.sha256, e.original_name) for e in db.session.scalars(select(Evidence))),
        "audit": sorted(db.session.execute(select(AuditLog.event, func.count()).group_by(AuditLog.event)).all()),
    }


def _empty_the_database(db) -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        restore_default_categories(conn)
    version_cache.clear()


def test_two_builds_give_the_same_district(app, db, frozen_clock):
    frozen_clock.set(datetime(2026, 5, 20, 21, 30, tzinfo=timezone.utc))  # 05:30 China time
    seed_demo()
    db.session.commit()
    first = _snapshot(db)
    _empty_the_database(db)
    seed_demo()
    db.session.commit()
    assert _snapshot(db) == first
    assert len(first["problems"]) > 100 and first["photos"] and first["evidence"]


def test_running_again_changes_nothing_and_says_so(app, db):
    _seed(app)
    before = _snapshot(db)
    counts = [db.session.scalar(select(func.count(m.id))) for m in (User, AuditLog, Problem, Photo)]
    output = _seed(app)
    assert "已有数据" in output and "未作任何修改" in output
    assert _snapshot(db) == before
    assert [db.session.scalar(select(func.count(m.id))) for m in (User, AuditLog, Problem, Photo)] == counts


def test_empty_keeps_the_bare_district(app, db):
    output = _seed(app, "--empty")
    assert "未创建检查批次" in output
    assert db.session.scalar(select(func.count(Unit.id))) == 86
    assert db.session.scalar(select(func.count(Round.id))) == 0
    assert db.session.scalar(select(func.count(Problem.id))) == 0
    assert db.session.scalar(select(func.count(QuestionnaireVersion.id))) == 2
    client = _logged_in(app, "liaison-nyncj")
    assert client.get("/").status_code == 200
