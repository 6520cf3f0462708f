"""Self-checks and visits over HTTP: drafts, conflicts, idempotent submits, problems, access."""
from __future__ import annotations

import re
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from survey.extensions import db as _db
from survey.filling import operations as filling
from survey.models import AuditLog, Problem, ProblemEvent, Role, Round, RoundUnit, Submission
from survey.seed import load_builtin_questionnaires
from tests.conftest import csrf_from, do_login
from tests.factories import still_open, make_group, make_unit, make_user

ALL_YES = None  # filled lazily: every required self-check answer, all compliant


@pytest.fixture()
def world(app, db):
    admin = make_user(Role.ADMIN, username="boss")
    unit_a, unit_b = make_unit("农业农村局"), make_unit("财政局")
    insp_a, insp_b = make_user(Role.INSPECTOR, username="insp-a"), make_user(Role.INSPECTOR, username="insp-b")
    make_group("第一督导组", members=[insp_a], units=[unit_a])
    make_group("第二督导组", members=[insp_b], units=[unit_b])
    liaison_a = make_user(Role.UNIT, username="liaison-a", unit=unit_a)
    liaison_b = make_user(Role.UNIT, username="liaison-b", unit=unit_b)
    self_check, onsite = load_builtin_questionnaires(admin)
    rnd = filling.create_round(admin, name="2023年廉洁机关建设上门问诊", code="2023", starts_on=date(2023, 3, 1),
                               ends_on=still_open(date(2023, 12, 31)), self_check_deadline=date(2023, 4, 30),
                               self_check_version=self_check, onsite_version=onsite, units=[unit_a, unit_b])
    db.session.commit()
    return {"admin": admin, "unit_a": unit_a, "unit_b": unit_b, "insp_a": insp_a, "insp_b": insp_b,
            "liaison_a": liaison_a, "liaison_b": liaison_b, "round": rnd, "self_check": self_check}


def compliant_answers(version) -> dict:
    answers = {}
    for q in version.questions:
        if q.type == "check":
            answers[q.name] = "yes"
        elif q.type == "single":
            answers[q.name] = q.options(version)[0]["name"]
        elif q.type == "integer":
            answers[q.name] = "3"
        elif q.type == "score":
            answers[q.name] = "9"
        elif q.type == "date":
            answers[q.name] = "2023-04-01"
        elif q.type == "text" and q.required:
            answers[q.name] = "张三"
    return answers


def open_as(app, user, url):
    client = app.test_client()
    assert do_login(client, user.username).status_code == 302
    resp = client.get(url)
    return client, resp


def token_of(client, page=None):
    """The session's CSRF token (one per session): from the account page's logout form."""
    return csrf_from(client.get("/account").get_data(as_text=True))


def post_json(client, url, body, page):
    return client.post(url, json=body, headers={"X-CSRFToken": token_of(client, page), "Accept": "application/json"})


def self_check_of(app, world, user=None):
    client, resp = open_as(app, user or world["liaison_a"], f"/rounds/{world['round'].id}/self-check")
    assert resp.status_code == 302
    sid = int(resp.headers["Location"].rsplit("/", 1)[1])
    return client, sid, f"/submissions/{sid}"


def test_liaison_fills_drafts_and_submits_once(app, world, db):
    client, sid, page = self_check_of(app, world)
    html = client.get(page).get_data(as_text=True)
    assert "data-server=" in html and "提交自查表" in html
    lock = int(re.search(r'&#34;lock_version&#34;: (\d+)|"lock_version": (\d+)', html).group(1) or 1)
    resp = post_json(client, f"{page}/draft", {"answers": {"p1": "yes", "l5": "abc"}, "lock_version": lock}, page)
    assert resp.status_code == 200 and resp.get_json()["answers"] == {"p1": "yes", "l5": "abc"}
    new_lock = resp.get_json()["lock_version"]
    assert new_lock == lock + 1
    stale = post_json(client, f"{page}/draft", {"answers": {"p1": "no"}, "lock_version": lock}, page)
    body = stale.get_json()
    assert stale.status_code == 409 and body["server"]["answers"]["p1"] == "yes" and body["updated_by"]
    assert db.session.get(Submission, sid).answers["p1"] == "yes"  # nothing overwritten
    forced = post_json(client, f"{page}/draft", {"answers": {"p1": "no"}, "lock_version": lock, "force": True}, page)
    assert forced.status_code == 200 and db.session.get(Submission, sid).answers["p1"] == "no"

    answers = compliant_answers(world["self_check"])
    answers["p3"], answers["l1"] = "no", "no"
    answers["o1"] = "档案管理不规范\n\n学习记录缺失"
    first = post_json(client, f"{page}/submit", {"answers": answers, "token": "tok-1"}, page)
    assert first.status_code == 201, first.get_json()
    again = post_json(client, f"{page}/submit", {"answers": answers, "token": "tok-1"}, page)
    assert again.status_code == 200 and again.get_json()["created"] is False and again.get_json()["id"] == sid
    other_payload = post_json(client, f"{page}/submit", {"answers": {**answers, "o2": "李四"}, "token": "tok-1"}, page)
    assert other_payload.status_code == 422
    second = post_json(client, f"{page}/submit", {"answers": answers, "token": "tok-2"}, page)
    assert second.status_code == 409 and "已提交" in second.get_json()["message"]

    problems = list(db.session.scalars(select(Problem).order_by(Problem.code)))
    assert [p.code for p in problems] == ["2023-001", "2023-002", "2023-003", "2023-004"]
    assert {(p.question_name, p.category) for p in problems} == {
        ("p3", "政治机关"), ("l1", "学习型机关"), ("o1", "其他")}
    assert {p.description for p in problems if p.question_name == "o1"} == {"档案管理不规范", "学习记录缺失"}
    assert all(p.status == "open" and p.source == "self_check" and p.unit_id == world["unit_a"].id for p in problems)
    assert db.session.scalar(select(func.count(ProblemEvent.id))) == 4
    sub = db.session.get(Submission, sid)
    assert sub.is_submitted and sub.answers["l5"] == 3  # normalised on submit
    assert "提交自查表" not in client.get(page).get_data(as_text=True)  # read-only now
    late = post_json(client, f"{page}/draft", {"answers": {}, "lock_version": sub.lock_version}, page)
    assert late.status_code == 409 and "已提交" in late.get_json()["message"]


@pytest.mark.parametrize("change, name, message", [
    ({"p1": None}, "p1", "此题为必答题"),
    ({"p1": "no", "p2": "2023-03-01"}, "p2", "不应作答"),
    ({"l5": "900"}, "l5", "应在 0 到 500 之间"),
    ({"l5": "2.5"}, "l5", "请输入整数"),
    ({"p3": "maybe"}, "p3", "选项无效"),
    ({"p2": "2023-02-30"}, "p2", "日期格式不正确"),
    ({"e5": "11"}, "e5", "应在 0 到 10 之间"),
    ({"ghost": "x"}, "ghost", "问卷中没有这道题"),
])
def test_the_server_rechecks_every_rule_on_submit(app, world, db, change, name, message):
    client, sid, page = self_check_of(app, world)
    answers = {**compliant_answers(world["self_check"]), **change}
    answers = {k: v for k, v in answers.items() if v is not None}
    resp = post_json(client, f"{page}/submit", {"answers": answers, "token": "t"}, page)
    assert resp.status_code == 422
    errors = {e["name"]: e["message"] for e in resp.get_json()["errors"]}
    assert name in errors and message in errors[name]
    sub = db.session.get(Submission, sid)
    assert not sub.is_submitted and sub.submit_token is None
    assert db.session.scalar(select(func.count(Problem.id))) == 0


def test_units_and_groups_never_reach_each_others_forms(app, world, db):
    _, sid, page = self_check_of(app, world)
    other, resp = open_as(app, world["liaison_b"], page)
    assert resp.status_code == 404
    assert post_json(other, f"{page}/draft", {"answers": {"p1": "no"}, "lock_version": 1}, "/account").status_code == 404
    assert post_json(other, f"{page}/submit", {"answers": {}, "token": "x"}, "/account").status_code == 404
    insp_b, resp = open_as(app, world["insp_b"], page)
    assert resp.status_code == 403
    insp_a, resp = open_as(app, world["insp_a"], page)
    assert resp.status_code == 200 and "提交自查表" not in resp.get_data(as_text=True)  # may view, not fill
    assert post_json(insp_a, f"{page}/draft", {"answers": {}, "lock_version": 1}, page).status_code == 403
    _, resp = open_as(app, world["insp_b"], f"/rounds/{world['round'].id}/units/{world['unit_a'].id}/visit")
    assert resp.status_code == 403
    _, resp = open_as(app, world["liaison_b"], f"/rounds/{world['round'].id}/units/{world['unit_a'].id}/visit")
    assert resp.status_code == 403
    board = insp_b.get(f"/rounds/{world['round'].id}").get_data(as_text=True)
    assert "财政局" in board and "农业农村局" not in board


def test_admin_reopens_with_a_reason_on_record(app, world, db):
    client, sid, page = self_check_of(app, world)
    answers = compliant_answers(world["self_check"])
    assert post_json(client, f"{page}/submit", {"answers": answers, "token": "t1"}, page).status_code == 201
    admin, resp = open_as(app, world["admin"], page)
    assert "退回修改" in resp.get_data(as_text=True)
    token = token_of(admin, page)
    resp = admin.post(f"{page}/reopen", data={"csrf_token": token, "reason": ""})
    assert resp.status_code == 400 and "请填写退回理由" in resp.get_data(as_text=True)
    resp = admin.post(f"{page}/reopen", data={"csrf_token": token, "reason": "第一议题日期填写有误"})
    assert resp.status_code == 303
    sub = db.session.get(Submission, sid)
    assert sub.state == "draft" and sub.submit_token is None
    row = db.session.scalar(select(AuditLog).where(AuditLog.event == "submission_reopen"))
    assert row.details["reason"] == "第一议题日期填写有误"
    assert post_json(client, f"{page}/submit", {"answers": answers, "token": "t2"}, page).status_code == 201


def test_inspector_visit_with_reviewed_problems(app, world, db):
    liaison, _, sc_page = self_check_of(app, world)
    own = compliant_answers(world["self_check"])
    assert post_json(liaison, f"{sc_page}/submit", {"answers": own, "token": "s"}, sc_page).status_code == 201
    client, resp = open_as(app, world["insp_a"], f"/rounds/{world['round'].id}/units/{world['unit_a'].id}/visit")
    page = resp.headers["Location"]
    html = client.get(page).get_data(as_text=True)
    assert "单位自查：是" in html and "问诊基本情况" in html
    onsite = db.session.scalar(select(Submission).where(Submission.kind == "visit")).version
    answers = {q.name: "yes" for q in onsite.questions if q.type == "check"}
    answers.update({"p1": "no", "e3": "no", "q_record": "现场询问第一议题落实情况", "q_score": "8",
                    "s_overall": "fair", "f_learning": "学习计划未按季度更新"})
    sub = db.session.scalar(select(Submission).where(Submission.kind == "visit"))
    assert post_json(client, f"{page}/draft", {"answers": answers, "facts": {"visit_date": "2023-05-10",
                     "place": "农业农村局会议室", "member_ids": [world["insp_a"].id], "attendees": "局长、纪检组长"},
                     "lock_version": sub.lock_version}, page).status_code == 200
    review = client.get(f"{page}/review").get_data(as_text=True)
    for text in ("检查结果：否", "学习计划未按季度更新"):
        assert text in review
    found = [
        {"key": "p1", "question": "p1", "category": "政治机关", "description": "未落实第一议题制度（督导核实）",
         "severity": "较重", "deadline": "2023-06-30"},
        {"key": "e3", "question": "e3", "dropped": True, "drop_reason": ""},
        {"key": "manual-1", "category": "作风建设", "description": "值班记录不全", "severity": "一般",
         "deadline": ""},
    ]
    body = {"answers": answers, "facts": {"visit_date": "2023-05-10", "place": "会议室",
                                          "member_ids": [world["insp_a"].id], "attendees": "局长"},
            "found": found, "token": "v1"}
    refused = post_json(client, f"{page}/submit", body, page)
    assert refused.status_code == 400 and "需要填写理由" in refused.get_json()["message"]
    found[1]["drop_reason"] = "现场已提供清单销号记录"
    done = post_json(client, f"{page}/submit", {**body, "token": "v2"}, page)
    assert done.status_code == 201, done.get_json()
    problems = {p.question_name or p.description: p for p in db.session.scalars(
        select(Problem).where(Problem.source == "visit"))}
    assert set(problems) == {"p1", "f_learning", "值班记录不全"}
    assert problems["p1"].severity == "较重" and problems["p1"].deadline == date(2023, 6, 30)
    assert problems["p1"].description == "未落实第一议题制度（督导核实）"
    assert problems["p1"].found_on == date(2023, 5, 10)
    assert problems["f_learning"].category == "学习型机关"


def test_concurrent_submits_with_one_token_store_one(app, world, db):
    client, sid, page = self_check_of(app, world)
    answers = compliant_answers(world["self_check"])
    answers["p3"] = "no"
    token = token_of(client, page)
    results = []

    def send():
        c = app.test_client()
        c.set_cookie("survey_session", client.get_cookie("survey_session").value)
        r = c.post(f"{page}/submit", json={"answers": answers, "token": "same"},
                   headers={"X-CSRFToken": token, "Accept": "application/json"})
        results.append(r.status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 200, 201]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Problem.id))) == 1
    assert db.session.get(Submission, sid).is_submitted


def test_opening_the_same_form_twice_at_once_makes_one_row(app, world, db):
    codes = []
    url = f"/rounds/{world['round'].id}/self-check"

    def open_it():
        c = app.test_client()
        do_login(c, "liaison-a")
        codes.append(c.get(url).status_code)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.rollback()
    assert codes == [302, 302, 302]
    assert db.session.scalar(select(func.count(Submission.id))) == 1


def test_demo_seed_opens_the_round_for_every_unit(app, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    rounds = list(db.session.scalars(select(Round).order_by(Round.starts_on)))
    assert len(rounds) == 2  # the earlier round, closed, and the current one
    for rnd in rounds:
        scope = list(db.session.scalars(select(RoundUnit).where(RoundUnit.round_id == rnd.id)))
        assert len(scope) == 86 and all(s.group_id is not None for s in scope)
    client = app.test_client()
    do_login(client, "liaison-nyncj", "Demo@2026")
    home = client.get("/").get_data(as_text=True)
    assert rounds[-1].name in home
