"""A round's state and defaults (issue 13): the default 整改时限 per severity set on the round form and
pre-filled on the visit review, 立行立改 from the review, the summary after a visit, rounds that are
really closed after their end date (by login and by signed link), and 逾期提交 wherever a late
self-check shows."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from survey import clock
from survey.filling import operations as filling
from survey.links import operations as link_ops
from survey.links import queries as link_queries
from survey.links.tokens import make_token
from survey.models import Problem, ProblemEvent, ProblemStatus, Round, Submission
from tests.conftest import csrf_from
from tests.factories import make_user
from tests.test_filling import compliant_answers
from tests.test_visits import build_world, client_as, onsite_answers

MAY_10 = datetime(2023, 5, 10, 2, 0, tzinfo=timezone.utc)       # 10:00 in China, during the round
AFTER_END = datetime(2023, 12, 31, 16, 0, tzinfo=timezone.utc)  # 2024-01-01 00:00 in China: ended


@pytest.fixture()
def world(app, db, frozen_clock):
    frozen_clock.set(MAY_10)
    return build_world(db)


def _draft_visit(w, db, found: list[dict], visit_date: str = "2023-05-10") -> Submission:
    sub = filling.open_submission(w["round"], w["unit_a"], "visit", w["insp_a"])
    db.session.flush()
    answers = onsite_answers(w["onsite"])
    answers["ob_spirit"] = "no"   # the on-site form's rule raises a problem (作风建设)
    filling.save_draft(w["insp_a"], sub, {"answers": answers, "found": found,
                                          "facts": {**sub.facts, "visit_date": visit_date}}, sub.lock_version)
    db.session.commit()
    return sub


def _token(client, page: str) -> str:
    """The CSRF token a page carries (the fill and review pages: in a meta tag)."""
    html = client.get(page).get_data(as_text=True)
    meta = re.search(r'name="csrf-token" content="([^"]+)"', html)
    return meta.group(1) if meta else csrf_from(html)


def _post_json(client, url: str, page: str, body: dict):
    return client.post(url, json=body, headers={"X-CSRFToken": _token(client, page)})


def _problems(db, sub_id: int) -> list[Problem]:
    db.session.rollback()
    return list(db.session.scalars(select(Problem).where(Problem.submission_id == sub_id).order_by(Problem.id)))


# --- the round's defaults ------------------------------------------------------------------------

def test_round_defaults_and_their_dates(world):
    rnd = world["round"]
    assert (rnd.deadline_days("一般"), rnd.deadline_days("较重"), rnd.deadline_days("严重")) == (30, 20, 10)
    assert rnd.default_deadline("严重", date(2023, 5, 10)) == date(2023, 5, 20)
    assert rnd.default_deadline("不存在", date(2023, 5, 10)) == date(2023, 6, 9)   # unknown: as 一般
    with pytest.raises(filling.DomainError, match="1–365"):
        filling.set_deadline_days(rnd, {"一般": 0, "较重": 20, "严重": 10})


def test_the_round_form_sets_the_defaults_and_refuses_bad_days(world, db, login):
    client = login(world["admin"])
    page = client.get("/rounds/new").get_data(as_text=True)
    for name, days in (("deadline_days_general", 30), ("deadline_days_major", 20), ("deadline_days_severe", 10)):
        assert re.search(rf'name="{name}"[^>]*value="{days}"', page), name
    form = {"csrf_token": csrf_from(page), "name": "默认时限批次", "code": "D1", "starts_on": "2023-05-01",
            "ends_on": "2023-12-31", "self_check_deadline": "2023-06-30", "scope": "all",
            "self_check_version_id": world["self_check"].id, "onsite_version_id": world["onsite"].id,
            "deadline_days_general": "45", "deadline_days_major": "15", "deadline_days_severe": "0"}
    resp = client.post("/rounds/new", data=form)
    assert resp.status_code == 400 and "应为 1–365 天" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Round.id)).where(Round.name == "默认时限批次")) == 0
    resp = client.post("/rounds/new", data={**form, "deadline_days_severe": "7"})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    rnd = db.session.scalar(select(Round).where(Round.name == "默认时限批次"))
    assert (rnd.deadline_days_general, rnd.deadline_days_major, rnd.deadline_days_severe) == (45, 15, 7)


# --- the visit review --------------------------------------------------------------------------

def test_the_review_prefills_each_deadline_from_the_visit_date_and_the_severity(world, db, login):
    sub = _draft_visit(world, db, [
        {"key": "manual-a", "description": "会议记录不全", "category": "其他", "severity": "较重"},
        {"key": "manual-b", "description": "台账缺失", "category": "其他", "severity": "严重",
         "deadline": "2023-05-31"}], visit_date="2023-05-08")
    html = login(world["insp_a"]).get(f"/submissions/{sub.id}/review").get_data(as_text=True)
    dates = re.findall(r'data-f="deadline" value="([^"]*)"', html)
    # the rule's 一般 problem: 05-08 + 30; 较重 + 20; the typed 严重 date is kept; the template: 一般
    assert dates == ["2023-06-07", "2023-05-28", "2023-05-31", "2023-06-07"]
    assert '"严重": "2023-05-18"' in html   # what the page switches to when the severity changes
    assert html.count('data-f="on_site"') == 4 and "立行立改" in html


def test_a_visit_stores_the_defaults_closes_what_was_fixed_on_site_and_sums_up(world, db, login):
    sub = _draft_visit(world, db, [])
    client = login(world["insp_a"])
    review = f"/submissions/{sub.id}/review"
    found = [{"key": "ob_spirit", "severity": "严重", "deadline": ""},
             {"key": "manual-a", "description": "宣传栏内容陈旧", "category": "其他", "severity": "一般",
              "on_site": True, "on_site_result": "现场更换宣传栏内容"},
             {"key": "manual-b", "description": "制度未上墙", "category": "制度建设", "severity": "较重",
              "deadline": "2023-07-01"}]
    resp = _post_json(client, f"/submissions/{sub.id}/submit", review,
                      {"token": "t-1", "answers": sub.answers, "facts": sub.facts, "found": found})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    problems = _problems(db, sub.id)
    assert [(p.severity, p.deadline) for p in problems] == [
        ("严重", date(2023, 5, 20)), ("一般", date(2023, 6, 9)), ("较重", date(2023, 7, 1))]
    assert [p.status for p in problems] == [ProblemStatus.OPEN, ProblemStatus.CLOSED, ProblemStatus.OPEN]
    fixed = problems[1]
    assert fixed.result == "现场更换宣传栏内容" and fixed.closed_by_id == world["insp_a"].id
    assert db.session.scalar(select(ProblemEvent.action).where(ProblemEvent.problem_id == fixed.id)
                             .order_by(ProblemEvent.id.desc())) == "close_on_site"
    html = client.get(resp.get_json()["url"]).get_data(as_text=True)
    assert "已登记 3 个问题" in html and "其中 1 个立行立改已销号" in html
    base = f"/rounds/{world['round'].id}/units/{world['unit_a'].id}"
    assert f'href="{base}/comparison"' in html and f'href="{base}/report"' in html
    assert client.get(f"{base}/report").status_code == 200


@pytest.mark.parametrize("item, message", [
    ({"on_site": True, "on_site_result": " "}, "请填写现场整改情况"),
    ({"deadline": "2023-05-01"}, "整改时限应为不早于问诊日期"),
    ({"deadline": "not-a-date"}, "整改时限应为不早于问诊日期"),
])
def test_a_bad_review_is_refused_in_chinese_and_stores_nothing(world, db, login, item, message):
    sub = _draft_visit(world, db, [])
    client = login(world["insp_a"])
    found = [{"key": "manual-a", "description": "宣传栏内容陈旧", "category": "其他", **item}]
    resp = _post_json(client, f"/submissions/{sub.id}/submit", f"/submissions/{sub.id}/review",
                      {"token": "t-bad", "answers": sub.answers, "facts": sub.facts, "found": found})
    assert resp.status_code == 400 and message in resp.get_json()["message"]
    assert _problems(db, sub.id) == [] and not db.session.get(Submission, sub.id).is_submitted


def test_self_check_problems_take_the_default_from_the_day_they_are_submitted(world, db):
    sub = filling.open_submission(world["round"], world["unit_a"], "self_check", world["liaison_a"])
    db.session.flush()
    answers = compliant_answers(world["self_check"])
    answers["p1"] = "no"
    answers.pop("p2", None)
    filling.submit(world["liaison_a"], sub, {"answers": answers}, "self-1")
    db.session.commit()
    problems = _problems(db, sub.id)
    assert problems and all(p.deadline == world["round"].default_deadline(p.severity, date(2023, 5, 10))
                            for p in problems)


# --- closed rounds ------------------------------------------------------------------------------

def test_has_ended_is_the_china_date_and_matches_the_links_end(world):
    rnd = world["round"]
    end = link_queries.round_end(rnd)
    assert not rnd.has_ended(clock.china_date(end - timedelta(seconds=1)))
    assert rnd.has_ended(clock.china_date(end))


def test_an_ended_round_refuses_submits_and_drafts_by_login(world, db, login, frozen_clock):
    own = filling.open_submission(world["round"], world["unit_a"], "self_check", world["liaison_a"])
    db.session.commit()
    visit = _draft_visit(world, db, [])
    frozen_clock.set(AFTER_END)
    liaison = login(world["liaison_a"])
    page = liaison.get(f"/submissions/{own.id}").get_data(as_text=True)
    assert "本批次已于 2023-12-31 结束" in page and "data-submit" not in page
    token = _token(liaison, "/account/password")
    for url, body in ((f"/submissions/{own.id}/draft", {"answers": {}, "lock_version": own.lock_version}),
                      (f"/submissions/{own.id}/submit", {"token": "late-1", "answers": {}})):
        resp = liaison.post(url, json=body, headers={"X-CSRFToken": token})
        assert resp.status_code == 409 and "本批次已于 2023-12-31 结束" in resp.get_json()["message"]
    home = liaison.get("/").get_data(as_text=True)
    assert "结束，不能再提交自查表" in home and "继续填写自查表" not in home
    db.session.rollback()
    assert db.session.get(Submission, own.id).lock_version == own.lock_version   # nothing stored
    inspector = client_as(liaison.application, world["insp_a"])
    assert inspector.get(f"/submissions/{visit.id}/review").status_code == 303
    board = inspector.get(f"/rounds/{world['round'].id}").get_data(as_text=True)
    assert "不再接收自查表和问诊记录" in board and ">上门问诊<" not in board


def test_an_ended_round_opens_no_new_submission(world, db, login, frozen_clock):
    frozen_clock.set(AFTER_END)
    resp = login(world["insp_b"]).get(f"/rounds/{world['round'].id}/units/{world['unit_b'].id}/visit")
    assert resp.status_code == 409 and "本批次已于 2023-12-31 结束" in resp.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Submission.id)).where(Submission.kind == "visit")) == 0


def test_a_signed_link_stops_with_the_round(world, db, client, frozen_clock):
    liaison_a = world["liaison_a"]
    sub = filling.open_submission(world["round"], world["unit_a"], "self_check", liaison_a)
    db.session.commit()
    frozen_clock.set(AFTER_END - timedelta(minutes=5))          # 23:55 on the last day
    link = link_ops.issue_link(world["admin"], world["round"], world["unit_a"])
    db.session.commit()
    assert client.get(f"/l/{make_token(link.id, link.nonce)}").status_code == 302
    token = _token(client, f"/submissions/{sub.id}")
    resp = client.post(f"/submissions/{sub.id}/draft", json={"answers": {}, "lock_version": sub.lock_version},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    db.session.rollback()
    lock = db.session.get(Submission, sub.id).lock_version
    frozen_clock.set(AFTER_END)
    resp = client.post(f"/submissions/{sub.id}/submit", json={"token": "link-late", "answers": {}},
                       headers={"X-CSRFToken": token})
    assert 400 <= resp.status_code < 500
    db.session.rollback()
    assert db.session.get(Submission, sub.id).lock_version == lock and not db.session.get(Submission, sub.id).is_submitted


# --- 逾期提交 -------------------------------------------------------------------------------------

def test_a_late_self_check_is_marked_everywhere_it_shows(world, db, login, frozen_clock):
    frozen_clock.set(datetime(2023, 4, 20, 2, 0, tzinfo=timezone.utc))
    on_time = filling.open_submission(world["round"], world["unit_b"], "self_check", world["liaison_b"])
    db.session.flush()
    filling.submit(world["liaison_b"], on_time, {"answers": compliant_answers(world["self_check"])}, "s-b")
    frozen_clock.set(datetime(2023, 4, 30, 16, 30, tzinfo=timezone.utc))   # 05-01 00:30 China: one day late
    late = filling.open_submission(world["round"], world["unit_a"], "self_check", world["liaison_a"])
    db.session.flush()
    filling.submit(world["liaison_a"], late, {"answers": compliant_answers(world["self_check"])}, "s-a")
    db.session.commit()
    frozen_clock.set(MAY_10)
    assert late.is_late and not on_time.is_late
    assert world["round"].self_check_late(date(2023, 5, 1)) and not world["round"].self_check_late(date(2023, 4, 30))
    rid = world["round"].id
    admin = login(world["admin"])
    board = admin.get(f"/rounds/{rid}").get_data(as_text=True)
    assert board.count("逾期提交") == 1 and board.index("农业农村局") < board.index("逾期提交") < board.index("财政局")
    progress = admin.get(f"/rounds/{rid}/progress?show=late").get_data(as_text=True)
    assert "逾期提交 1" in progress and "农业农村局" in progress and "财政局" not in progress
    assert "逾期提交" in admin.get(f"/submissions/{late.id}").get_data(as_text=True)
    assert "逾期提交" not in admin.get(f"/submissions/{on_time.id}").get_data(as_text=True)
    todo = admin.get("/").get_data(as_text=True)
    assert re.search(rf'href="/rounds/{rid}/progress\?show=late"><b>1</b><span>个单位自查逾期提交', todo)
    liaison_home = client_as(admin.application, world["liaison_a"]).get("/").get_data(as_text=True)
    assert "逾期提交" in liaison_home


def test_a_self_check_on_its_deadline_day_is_not_late(world, db):
    frozen_clock_day = datetime(2023, 4, 30, 15, 59, tzinfo=timezone.utc)   # 23:59 China on the deadline
    with clock.frozen_at(frozen_clock_day):
        sub = filling.open_submission(world["round"], world["unit_a"], "self_check", world["liaison_a"])
        db.session.flush()
        filling.submit(world["liaison_a"], sub, {"answers": compliant_answers(world["self_check"])}, "s-ok")
    assert not sub.is_late


def test_existing_rounds_get_the_defaults_by_migration(tmp_path):
    """A round stored at the head, the migration taken down and up again: the row is kept, and
    carries the defaults 30/20/10 (as every round did before the migration)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from survey import create_app
    from survey.config import TestConfig
    from survey.extensions import db as _db
    from survey.models import Role
    from survey.seed import load_builtin_questionnaires
    from tests.factories import make_unit
    from tests.test_migrations import _scratch_database

    url, cleanup = _scratch_database(tmp_path)
    try:
        app = create_app(TestConfig(url))
        with app.app_context():
            upgrade()
            admin = make_user(Role.ADMIN, username="mig-admin")
            self_check, onsite = load_builtin_questionnaires(admin)
            filling.create_round(admin, name="旧批次", code="2022", starts_on=date(2022, 1, 1),
                                 ends_on=date(2022, 12, 31), self_check_deadline=date(2022, 4, 30),
                                 self_check_version=self_check, onsite_version=onsite, units=[make_unit("统计局")],
                                 deadline_days={"一般": 45, "较重": 25, "严重": 5})
            _db.session.commit()
            _db.session.remove()
            downgrade(revision="f3c8a1d6b9e2")
            with _db.engine.connect() as conn:
                assert conn.execute(text("SELECT name FROM rounds")).scalar_one() == "旧批次"
            upgrade()
            with _db.engine.connect() as conn:
                row = conn.execute(text("SELECT deadline_days_general, deadline_days_major, deadline_days_severe "
                                        "FROM rounds")).one()
            assert tuple(row) == (30, 20, 10)
            _db.engine.dispose()
    finally:
        cleanup()


def test_only_the_visiting_group_may_submit_a_visit_even_with_defaults(world, db):
    sub = _draft_visit(world, db, [])
    stranger = make_user(role=world["insp_b"].role, username="stranger")
    with pytest.raises(filling.NotAllowed):
        filling.submit(stranger, sub, {"found": []}, "t-stranger")


def test_an_ended_round_takes_no_photo_and_no_reopen(world, db, frozen_clock):
    import io

    from PIL import Image

    from survey.filling import photos

    visit, inspector = _draft_visit(world, db, []), world["insp_a"]
    own = filling.open_submission(world["round"], world["unit_a"], "self_check", world["liaison_a"])
    db.session.flush()
    filling.submit(world["liaison_a"], own, {"answers": compliant_answers(world["self_check"])}, "s-r")
    db.session.commit()
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 60)).save(buf, "JPEG")
    frozen_clock.set(AFTER_END)
    with pytest.raises(filling.RoundEnded, match="本批次已于 2023-12-31 结束"):
        photos.store_photo(inspector, visit, "ob_photos", "late-photo", buf.getvalue(), "a.jpg", 10 * 1024 * 1024)
    with pytest.raises(filling.RoundEnded):
        filling.reopen(world["admin"], own, "补充材料")
    db.session.rollback()
    assert not visit.photos and db.session.get(Submission, own.id).is_submitted
