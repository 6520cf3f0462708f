"""督办阶梯 (issue 14): working days, the default ladder, the scan (idempotent, latest step only, a
problem walked through every step across the 2026 国庆 holiday), send-reminders, the ladder page."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from survey import clock
from survey.calendar import workdays
from survey.calendar.workdays import WorkCalendar
from survey.filling import operations as filling
from survey.ledger import operations as ledger_ops
from survey.ledger.transitions import action_label
from survey.models import (CalendarDay, LadderFiring, LadderStep, Message, Notice, Problem, ProblemEvent, Role,
                           UnitContact)
from survey.reminders.scan import run_scan
from tests.conftest import csrf_from, do_login
from tests.factories import make_forms, make_group, make_unit, make_user


# -- working days ---------------------------------------------------------------------------------

def test_official_calendar_holidays_and_make_up_days(db):
    cal = WorkCalendar({})
    assert not any(cal.is_working_day(date(2026, 10, d)) for d in range(1, 8))   # 国庆 Oct 1–7
    assert cal.is_working_day(date(2026, 10, 8)) and cal.is_working_day(date(2026, 10, 9))
    assert cal.is_working_day(date(2026, 10, 10))          # Saturday: 调休 make-up working day
    assert not cal.is_working_day(date(2026, 10, 11))      # Sunday
    assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert cal.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 8)   # a deadline on a holiday
    assert cal.add_working_days(date(2026, 10, 9), 0) == date(2026, 10, 9)


def test_local_exceptions_override_the_official_calendar(db):
    db.session.add_all([CalendarDay(day=date(2026, 10, 9), kind="off", note="本地休息"),
                        CalendarDay(day=date(2026, 10, 11), kind="work", note="补班")])
    db.session.commit()
    assert not workdays.is_working_day(date(2026, 10, 9))
    assert workdays.is_working_day(date(2026, 10, 11))
    assert workdays.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 10)
    assert workdays.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 11)


def test_beyond_coverage_falls_back_to_monday_to_friday_and_warns(db, caplog):
    cov = workdays.coverage()
    beyond = date(cov.last + 1, 1, 1)
    while beyond.weekday() != 0:  # a Monday
        beyond += timedelta(days=1)
    cal = WorkCalendar({beyond: "off"})
    with caplog.at_level("WARNING"):
        assert cal.is_working_day(beyond + timedelta(days=1))
        assert not cal.is_working_day(beyond + timedelta(days=5))   # Saturday
        assert not cal.is_working_day(beyond)                      # the local day off
    assert any("chinese-calendar has no data" in r.message for r in caplog.records)
    assert workdays.coverage_warning(beyond) and str(cov.last) in workdays.coverage_warning(beyond)
    assert workdays.coverage_warning(date(cov.last, 6, 1)) == ""


# -- a world ----------------------------------------------------------------------------------------

def _world(db, deadline: date, found: date = date(2026, 9, 1)):
    admin = make_user(Role.ADMIN, username="boss")
    unit = make_unit("农业农村局")
    checker = make_user(Role.INSPECTOR, username="checker")
    group = make_group("第一督导组", members=[checker], units=[unit])
    liaison = make_user(Role.UNIT, username="liaison", unit=unit)
    db.session.add_all([UnitContact(unit_id=unit.id, role="leader", name="王分管", email="wang@example.cn"),
                        UnitContact(unit_id=unit.id, role="head", name="李局长", phone="13800000000")])
    versions = make_forms(admin)
    rnd = filling.create_round(admin, name="2026年批次", code="2026", starts_on=date(2026, 1, 1),
                               ends_on=date(2026, 12, 31), self_check_deadline=date(2026, 12, 30),
                               self_check_version=versions[0], onsite_version=versions[1], units=[unit])
    sub = filling.open_submission(rnd, unit, "self_check", admin)
    from survey.filling.problems import create_problems
    [problem] = create_problems(sub, [{"description": "公务接待超标准", "category": "其他"}], admin, found)
    problem.deadline = deadline
    db.session.commit()
    return {"admin": admin, "unit": unit, "checker": checker, "group": group, "liaison": liaison,
            "round": rnd, "problem": problem}


def _scan_on(day: date, **kw):
    with clock.frozen_at(clock.china_moment(day, 9)):
        return run_scan(**kw)


def _inbox(db, problem_id: int) -> list[tuple]:
    rows = db.session.execute(select(Message.subject, Message.user_id, Message.contact_id, Message.unit_id,
                                     Message.urgent, LadderStep.key)
                              .join(LadderFiring, LadderFiring.id == Message.firing_id)
                              .join(LadderStep, LadderStep.id == LadderFiring.step_id)
                              .where(Message.problem_id == problem_id).order_by(Message.id)).all()
    return rows


def test_new_round_gets_the_default_ladder(db):
    w = _world(db, date(2026, 10, 9))
    steps = db.session.scalars(select(LadderStep).where(LadderStep.round_id == w["round"].id)
                               .order_by(LadderStep.target, LadderStep.position)).all()
    problem_steps = [(s.key, s.offset_days, s.notice_kind) for s in steps if s.target == "problem"]
    assert problem_steps == [("remind_10", -10, ""), ("remind_3", -3, ""), ("due", 0, "duban"),
                             ("warn", 5, "warn"), ("report", 10, "report")]
    report = next(s for s in steps if s.key == "report")
    assert report.flag_admin and report.urgent and set(report.audience) == {"head", "group", "admin"}
    assert {s.key for s in steps if s.target == "self_check"} == {"sc_remind_3", "sc_overdue"}


def test_walk_one_problem_through_every_step_across_national_day(db):
    """Deadline Fri 2026-10-09, the second working day after 国庆 (Oct 1–7 off, Sat Oct 10 a 调休
    working day). The walk scans every day from Sep 10 to Oct 31 and checks on which day each step
    fired and who got it: 3 working days before is Sep 29 (the holiday does not count), 5 after is Oct 15
    (the Saturday counts)."""
    w = _world(db, date(2026, 10, 9))
    cal = WorkCalendar({})
    deadline = date(2026, 10, 9)
    expected = {"remind_10": cal.add_working_days(deadline, -10), "remind_3": cal.add_working_days(deadline, -3),
                "due": deadline, "warn": cal.add_working_days(deadline, 5),
                "report": cal.add_working_days(deadline, 10)}
    assert expected["remind_3"] == date(2026, 9, 29)      # Sep 29, 30, Oct 8: 国庆 is skipped
    assert expected["warn"] == date(2026, 10, 15)          # Oct 10 (调休 Saturday), 12, 13, 14, 15
    fired_on: dict[str, date] = {}
    day = date(2026, 9, 10)
    while day <= date(2026, 10, 31):
        report = _scan_on(day)
        for s in report.steps:
            if s.fired:
                assert s.key not in fired_on
                fired_on[s.key] = day
        assert report.skipped == 0
        day += timedelta(days=1)
    assert fired_on == expected
    messages = _inbox(db, w["problem"].id)
    who = {}
    for subject, user_id, contact_id, unit_id, urgent, key in messages:
        who.setdefault(key, set()).add(user_id or f"c{contact_id}")
        assert subject.startswith("【")
        assert (unit_id == w["unit"].id) == (user_id == w["liaison"].id)   # only the liaison's carry the unit
        assert urgent == (key in ("warn", "report"))
    contacts = {c.role: c.id for c in db.session.scalars(select(UnitContact))}
    assert who == {"remind_10": {w["liaison"].id}, "remind_3": {w["liaison"].id},
                   "due": {w["liaison"].id, f"c{contacts['leader']}"},
                   "warn": {w["liaison"].id, f"c{contacts['leader']}", f"c{contacts['head']}", w["checker"].id},
                   "report": {f"c{contacts['head']}", w["checker"].id, w["admin"].id}}
    notices = db.session.scalars(select(Notice).order_by(Notice.id)).all()
    assert [(n.kind, n.number, n.issued_on) for n in notices] == [
        ("duban", "〔2026〕督办第001号", expected["due"]), ("warn", "〔2026〕告诫第001号", expected["warn"]),
        ("report", "〔2026〕通报第001号", expected["report"])]
    events = db.session.scalars(select(ProblemEvent).where(ProblemEvent.problem_id == w["problem"].id,
                                                           ProblemEvent.action.in_(("remind", "notice")))
                                .order_by(ProblemEvent.id)).all()
    assert [e.action for e in events] == ["remind", "remind", "notice", "notice", "notice"]
    assert "〔2026〕告诫第001号" in events[3].comment and "整改时限 2026-10-09" in events[3].comment
    assert action_label("remind") == "督办提醒" and action_label("notice") == "印发督办文书"


def test_scan_twice_sends_nothing_twice(db):
    _world(db, date(2026, 10, 9))
    first = _scan_on(date(2026, 10, 9))
    counts = [db.session.scalar(select(func.count()).select_from(t)) for t in (Message, LadderFiring, Notice)]
    second = _scan_on(date(2026, 10, 9))
    assert first.messages > 0 and second.messages == 0 and second.fired == 0 and second.notices == 0
    assert [db.session.scalar(select(func.count()).select_from(t)) for t in (Message, LadderFiring, Notice)] == counts


def test_first_scan_of_a_long_overdue_problem_fires_only_the_latest_step(db):
    w = _world(db, date(2026, 9, 1), found=date(2026, 8, 1))
    report = _scan_on(date(2026, 9, 30))   # 21 working days late: every step is due
    fired = [s.key for s in report.steps if s.fired]
    skipped = [s.key for s in report.steps if s.skipped]
    assert fired == ["report"] and skipped == ["remind_10", "remind_3", "due", "warn"]
    assert {k for *_, k in _inbox(db, w["problem"].id)} == {"report"}
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 1
    assert db.session.scalar(select(func.count()).where(LadderFiring.skipped.is_(True))) == 4


def test_extension_fires_the_ladder_again_for_the_new_deadline(db):
    w = _world(db, date(2026, 10, 9))
    _scan_on(date(2026, 10, 9))
    problem = db.session.get(Problem, w["problem"].id)
    with clock.frozen_at(clock.china_moment(date(2026, 10, 9), 10)):
        ledger_ops.request_extension(w["liaison"], problem, problem.lock_version,
                                     new_deadline=date(2026, 11, 20), comment="需采购")
        ledger_ops.approve_extension(w["admin"], problem, problem.lock_version)
        db.session.commit()
    assert not _scan_on(date(2026, 10, 12)).fired     # the new deadline is weeks away
    again = _scan_on(date(2026, 11, 20))
    assert [s.key for s in again.steps if s.fired] == ["due"]
    assert [s.key for s in again.steps if s.skipped] == ["remind_10", "remind_3"]


def test_closed_problems_and_dry_run_send_nothing(db):
    w = _world(db, date(2026, 10, 9))
    dry = _scan_on(date(2026, 10, 9), dry_run=True)
    assert dry.messages > 0 and dry.lines
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    problem = db.session.get(Problem, w["problem"].id)
    problem.status = "closed"
    db.session.commit()
    assert _scan_on(date(2026, 10, 9)).fired == 0


def test_self_check_ladder_reaches_units_that_have_not_submitted(db):
    w = _world(db, date(2026, 12, 31))
    other = make_unit("财政局")
    rnd = w["round"]
    from survey.models import RoundUnit
    db.session.add(RoundUnit(round_id=rnd.id, unit_id=other.id, group_id=w["group"].id))
    db.session.commit()
    cal = WorkCalendar({})
    before = cal.add_working_days(rnd.self_check_deadline, -3)
    report = _scan_on(before)
    step = next(s for s in report.steps if s.key == "sc_remind_3")
    assert step.fired == 2
    msgs = db.session.scalars(select(Message).where(Message.problem_id.is_(None)).order_by(Message.id)).all()
    assert {(m.user_id, m.unit_id) for m in msgs} == {(w["liaison"].id, w["unit"].id), (None, other.id)}
    assert all(m.link == f"/rounds/{rnd.id}/self-check" for m in msgs)
    late = _scan_on(cal.add_working_days(rnd.self_check_deadline, 1))
    step = next(s for s in late.steps if s.key == "sc_overdue")
    assert step.fired == 2 and step.notices == 2
    assert db.session.scalar(select(func.count()).where(Message.user_id == w["checker"].id)) == 2


def test_send_reminders_command(app, db):
    _world(db, date(2026, 10, 9))
    runner = app.test_cli_runner()
    with clock.frozen_at(clock.china_moment(date(2026, 10, 9), 9)):
        dry = runner.invoke(args=["send-reminders", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "演练" in dry.output and "到期督办" in dry.output and "将发送消息 2 条" in dry.output
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
        real = runner.invoke(args=["send-reminders"])
        assert real.exit_code == 0 and "已发送消息 2 条" in real.output and "liaison" in real.output
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_flagged_problems_are_in_the_administrators_todo(db):
    w = _world(db, date(2026, 9, 1), found=date(2026, 8, 1))
    _scan_on(date(2026, 9, 30))
    from survey.home.work import admin_todo
    with clock.frozen_at(clock.china_moment(date(2026, 9, 30), 9)):
        todo = admin_todo(w["admin"], date(2026, 9, 30), 0)
    assert todo["flagged"]["count"] == 1 and todo["flagged"]["problems"][0].id == w["problem"].id


# -- the ladder page ----------------------------------------------------------------------------------

def _ladder_form(html: str) -> dict:
    import re
    data = {"csrf_token": csrf_from(html)}
    multi: dict[str, list] = {}
    for m in re.finditer(r'<input[^>]*name="(s-\d+-[a-z_]+)"[^>]*>', html):
        tag, name = m.group(0), m.group(1)
        value = re.search(r'value="([^"]*)"', tag)
        value = value.group(1) if value else ""
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                multi.setdefault(name, []).append(value)
        else:
            data[name] = value
    for m in re.finditer(r'<select[^>]*name="(s-\d+-notice_kind)"[^>]*>(.*?)</select>', html, re.S):
        sel = re.search(r'<option value="([^"]*)" selected', m.group(2))
        data[m.group(1)] = sel.group(1) if sel else ""
    data.update(multi)
    return data


def test_ladder_page_edits_and_refuses_bad_input(app, client, db):
    w = _world(db, date(2026, 10, 9))
    do_login(client, "boss")
    url = f"/rounds/{w['round'].id}/ladder"
    page = client.get(url)
    assert page.status_code == 200 and "督办阶梯" in page.get_data(as_text=True)
    form = _ladder_form(page.get_data(as_text=True))
    # steps out of order: the second step after the third
    bad = dict(form, **{"s-2-offset_days": "2"})
    resp = client.post(url, data=bad)
    assert resp.status_code == 422 and "阶梯须按天数从早到晚排列" in resp.get_data(as_text=True)
    # unknown audience, duplicate key: messages beside the fields, nothing saved
    bad = dict(form, **{"s-1-audience": ["liaison", "mayor"], "s-2-key": "remind_10"})
    text = client.post(url, data=bad).get_data(as_text=True)
    assert "未知的发送对象：mayor" in text and "标识“remind_10”重复" in text
    assert db.session.scalar(select(LadderStep.offset_days).where(LadderStep.key == "remind_3")) == -3
    # a good edit: disable a step, add one
    good = dict(form, **{"s-1-enabled": "", "new-problem-name": "二次告诫", "new-problem-key": "warn_2",
                         "new-problem-position": "6", "new-problem-offset_days": "15",
                         "new-problem-working_days": "y", "new-problem-enabled": "y",
                         "new-problem-audience": ["head", "admin"]})
    resp = client.post(url, data=good)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert not db.session.scalar(select(LadderStep.enabled).where(LadderStep.key == "remind_10"))
    new = db.session.scalar(select(LadderStep).where(LadderStep.key == "warn_2"))
    assert new.offset_days == 15 and new.audience == ["head", "admin"]
    # the old form again: its lock_version is stale
    resp = client.post(url, data=form)
    assert resp.status_code == 409


def test_calendar_page(app, client, db):
    make_user(Role.ADMIN, username="boss")
    db.session.commit()
    do_login(client, "boss")
    page = client.get("/admin/calendar").get_data(as_text=True)
    cov = workdays.coverage()
    assert f"{cov.first}–{cov.last} 年" in page
    token = csrf_from(page)
    resp = client.post("/admin/calendar", data={"csrf_token": token, "day": "2026-10-09", "kind": "off",
                                                "note": "本地休息"})
    assert resp.status_code == 302
    assert db.session.get(CalendarDay, date(2026, 10, 9)).kind == "off"
    again = client.post("/admin/calendar", data={"csrf_token": token, "day": "2026-10-09", "kind": "off"})
    assert again.status_code == 422 and "已有本地例外" in again.get_data(as_text=True)
    bad = client.post("/admin/calendar", data={"csrf_token": token, "day": "", "kind": "off"})
    assert bad.status_code == 400 and "请选择日期" in bad.get_data(as_text=True)
    beyond = f"{cov.last + 1}-03-02"
    resp = client.post("/admin/calendar", data={"csrf_token": token, "day": beyond, "kind": "work"},
                       follow_redirects=True)
    assert "超出法定节假日日历的覆盖范围" in resp.get_data(as_text=True)
    resp = client.post("/admin/calendar/remove", data={"csrf_token": token, "day": "2026-10-09"})
    assert resp.status_code == 303 and db.session.get(CalendarDay, date(2026, 10, 9)) is None
    assert client.post("/admin/calendar/remove", data={"csrf_token": token, "day": "2026-10-09"}).status_code == 422


# -- unit contacts --------------------------------------------------------------------------------

def test_unit_form_stores_leader_and_head_contacts(app, client, db):
    make_user(Role.ADMIN, username="boss")
    unit = make_unit("审计局")
    db.session.commit()
    do_login(client, "boss")
    url = f"/admin/units/{unit.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    base = {"csrf_token": token, "name": "审计局", "category": unit.category}
    bad = client.post(url, data={**base, "leader_name": "王分管", "leader_email": "not-an-email",
                                 "head_phone": "abc", "head_wecom_id": "有空格 的"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "电子邮箱格式不正确" in text and "电话号码格式不正确" in text and "只能包含字母、数字" in text
    assert db.session.scalar(select(func.count()).select_from(UnitContact)) == 0
    good = client.post(url, data={**base, "leader_name": "王分管", "leader_email": "wang@sj.gov.cn",
                                  "leader_phone": "023-4567890", "head_name": "李局长", "head_dingtalk_id": "13800000000"})
    assert good.status_code == 302
    contacts = {c.role: c for c in db.session.scalars(select(UnitContact))}
    assert contacts["leader"].email == "wang@sj.gov.cn" and contacts["head"].dingtalk_id == "13800000000"
    page = client.get(url).get_data(as_text=True)
    assert "wang@sj.gov.cn" in page and "主要负责人" in page
    cleared = client.post(url, data={**base, "head_name": "李局长"})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert [c.role for c in db.session.scalars(select(UnitContact))] == ["head"]


# -- the demo ---------------------------------------------------------------------------------------

def test_demo_inboxes_are_not_empty_after_one_scan(app, db):
    """The contract: seed-demo, one scan, and liaison-nyncj's and admin's inboxes hold messages."""
    from survey.models import User
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(UnitContact)) > 0
    report = run_scan()
    print(f"demo scan: fired {report.fired}, skipped {report.skipped}, notices {report.notices}, "
          f"messages {report.messages}")
    for username in ("liaison-nyncj", "admin"):
        user = db.session.scalar(select(User).where(User.username == username))
        n = db.session.scalar(select(func.count()).where(Message.user_id == user.id))
        assert n > 0, username
    liaison = db.session.scalar(select(User).where(User.username == "liaison-nyncj"))
    assert db.session.scalar(select(func.count()).where(Message.unit_id == liaison.unit_id)) > 0
    assert run_scan().messages == 0
