"""The rectification workflow: every (state, action, role), events, versions, warnings, access."""
from __future__ import annotations

import itertools
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from survey.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from survey.filling import operations as filling
from survey.filling.problems import create_problems
from survey.ledger import operations, rules
from survey.models import Problem, ProblemEvent, Role
from survey.questionnaires import editing
from survey.questionnaires import operations as qops
from survey.ledger.transitions import TRANSITIONS
from tests.conftest import csrf_from, do_login
from tests.factories import make_group, make_ledger_world, make_unit, make_user

STATES = ("open", "in_progress", "pending_review", "closed", "cancelled")
# Written out independently of survey.ledger.rules: who may do what from which state.
EXPECTED = {
    "accept": ({"open"}, {"unit"}),
    "update_progress": ({"in_progress"}, {"unit"}),
    "report": ({"in_progress"}, {"unit"}),
    "verify": ({"pending_review"}, {"checker", "admin"}),
    "return": ({"pending_review"}, {"checker", "admin"}),
    "request_extension": ({"open", "in_progress"}, {"unit"}),
    "approve_extension": ({"open", "in_progress"}, {"admin"}),
    "refuse_extension": ({"open", "in_progress"}, {"admin"}),
    "cancel": ({"open", "in_progress", "pending_review"}, {"admin"}),
    "reopen": ({"closed", "cancelled"}, {"admin"}),
    "set_deadline": ({"open", "in_progress", "pending_review"}, {"admin"}),
    "set_category": ({"open", "in_progress", "pending_review", "closed"}, {"admin"}),
}
PARAMS = {
    "accept": {"measures": "完善会议记录", "responsible_person": "王五", "planned_on": date(2023, 6, 1)},
    "update_progress": {"progress": "已完成一半"}, "report": {"result": "已整改到位"}, "verify": {"comment": ""},
    "return": {"comment": "佐证不足"}, "request_extension": {"new_deadline": date(2023, 9, 30), "comment": "需采购"},
    "approve_extension": {"comment": ""}, "refuse_extension": {"comment": "理由不充分"}, "cancel": {"comment": "重复登记"},
    "reopen": {"comment": "复查发现反弹"}, "set_deadline": {"deadline": date(2023, 8, 31)},
    "set_category": {"category": "制度建设"},
}
ROLE_NAMES = ("unit", "other_unit", "checker", "other_inspector", "admin")


@pytest.fixture()
def world(app, db):
    return make_ledger_world(db)


def new_problem(db, world, status="open", deadline=date(2023, 7, 1), extension=False) -> Problem:
    [problem] = create_problems(world["submission"], [{"description": "会议记录不全", "category": "政治机关",
                                                        "deadline": deadline.isoformat() if deadline else ""}],
                                world["admin"], date(2023, 5, 1))
    problem.status = status
    if extension:
        problem.extension_deadline, problem.extension_reason = date(2023, 9, 30), "需采购"
    db.session.commit()
    return problem


@pytest.mark.parametrize("state, action, role", list(itertools.product(STATES, EXPECTED, ROLE_NAMES)))
def test_every_state_action_role(db, world, state, action, role):
    needs_extension = action in ("approve_extension", "refuse_extension")
    problem = new_problem(db, world, state, extension=needs_extension)
    states, roles = EXPECTED[action]
    allowed = state in states and role in roles
    actor = world["users"][role]
    before = (problem.status, problem.lock_version)
    events_before = db.session.scalar(select(ProblemEvent.id).where(ProblemEvent.problem_id == problem.id)
                                      .order_by(ProblemEvent.id.desc()).limit(1))
    if allowed:
        event = operations.ACTIONS[action](actor, problem, problem.lock_version, **PARAMS[action])
        db.session.commit()
        target = TRANSITIONS[action].target or state
        assert problem.status == target
        assert (event.action, event.from_status, event.to_status, event.actor_id) == (action, state, target, actor.id)
    else:
        expected_error = InvalidTransition if role in roles else NotAllowed
        with pytest.raises(expected_error) as info:
            operations.ACTIONS[action](actor, problem, problem.lock_version, **PARAMS[action])
        db.session.rollback()
        assert info.value.message  # a Chinese reason
        problem = db.session.get(Problem, problem.id)
        assert (problem.status, problem.lock_version) == before
        last = db.session.scalar(select(ProblemEvent.id).where(ProblemEvent.problem_id == problem.id)
                                 .order_by(ProblemEvent.id.desc()).limit(1))
        assert last == events_before


def test_the_whole_path_is_on_record(db, world):
    p = new_problem(db, world)
    u, c = world["users"]["unit"], world["users"]["checker"]
    operations.accept(u, p, p.lock_version, **PARAMS["accept"])
    operations.report(u, p, p.lock_version, result="整改完毕")
    operations.return_problem(c, p, p.lock_version, comment="缺少照片")
    operations.report(u, p, p.lock_version, result="补充了照片")
    operations.verify(c, p, p.lock_version)
    db.session.commit()
    events = list(db.session.scalars(select(ProblemEvent).where(ProblemEvent.problem_id == p.id)
                                     .order_by(ProblemEvent.id)))
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("create", "", "open"), ("accept", "open", "in_progress"), ("report", "in_progress", "pending_review"),
        ("return", "pending_review", "in_progress"), ("report", "in_progress", "pending_review"),
        ("verify", "pending_review", "closed")]
    assert events[3].comment == "缺少照片" and events[1].changes["measures"][1] == "完善会议记录"
    assert p.closed_by_id == c.id and p.closed_at is not None


def test_missing_reasons_and_bad_dates_are_refused(db, world):
    p = new_problem(db, world, "pending_review")
    with pytest.raises(DomainError, match="请填写理由"):
        operations.return_problem(world["users"]["checker"], p, p.lock_version, comment=" ")
    db.session.rollback()
    p = new_problem(db, world, "in_progress")
    with pytest.raises(DomainError, match="须晚于当前时限"):
        operations.request_extension(world["users"]["unit"], p, p.lock_version, new_deadline=date(2023, 6, 1),
                                     comment="来不及")
    db.session.rollback()
    with pytest.raises(DomainError, match="不能早于发现时间"):
        operations.set_deadline(world["admin"], p, p.lock_version, deadline=date(2023, 4, 1))


def test_a_stale_version_is_a_conflict(db, world):
    p = new_problem(db, world)
    stale = p.lock_version
    operations.accept(world["users"]["unit"], p, stale, **PARAMS["accept"])
    db.session.commit()
    with pytest.raises(Conflict):
        operations.update_progress(world["users"]["unit"], p, stale, progress="x")


def login_client(app, user):
    client = app.test_client()
    assert do_login(client, user.username).status_code == 302
    return client


def test_two_people_verifying_at_once_one_wins(app, db, world):
    p = new_problem(db, world, "pending_review")
    clients = [login_client(app, world["users"]["checker"]), login_client(app, world["admin"])]
    tokens = [csrf_from(c.get("/account").get_data(as_text=True)) for c in clients]
    url, lock, codes = f"/ledger/{p.id}/verify", p.lock_version, []
    barrier = threading.Barrier(2)

    def go(i):
        barrier.wait()
        codes.append(clients[i].post(url, data={"csrf_token": tokens[i], "lock_version": lock}).status_code)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.rollback()
    assert sorted(codes) == [303, 409]
    assert db.session.get(Problem, p.id).status == "closed"
    assert db.session.scalar(select(ProblemEvent).where(ProblemEvent.problem_id == p.id,
                                                        ProblemEvent.action == "verify")) is not None


def test_http_flow_messages_and_timeline(app, db, world):
    p = new_problem(db, world)
    liaison = login_client(app, world["users"]["unit"])
    page = liaison.get(f"/ledger/{p.id}").get_data(as_text=True)
    assert "接收整改" in page and "核验销号" not in page
    token = csrf_from(page)
    resp = liaison.post(f"/ledger/{p.id}/accept", data={"csrf_token": token, "lock_version": p.lock_version})
    assert resp.status_code == 400 and "请填写整改措施和责任人" in resp.get_data(as_text=True)
    resp = liaison.post(f"/ledger/{p.id}/verify", data={"csrf_token": token, "lock_version": p.lock_version})
    assert resp.status_code == 403 and "无权" in resp.get_data(as_text=True)
    resp = liaison.post(f"/ledger/{p.id}/accept", data={"csrf_token": token, "lock_version": p.lock_version,
                                                         "measures": "补齐记录", "responsible_person": "王五",
                                                         "planned_on": "2023-06-01"})
    assert resp.status_code == 303
    timeline = liaison.get(f"/ledger/{p.id}").get_data(as_text=True)
    assert "接收整改" in timeline and "待整改 → 整改中" in timeline
    stale = liaison.post(f"/ledger/{p.id}/report", data={"csrf_token": token, "lock_version": 1, "result": "x"})
    assert stale.status_code == 409 and "已被他人处理" in stale.get_data(as_text=True)


def test_liaisons_and_other_groups_never_see_other_units(app, db, world):
    p = new_problem(db, world)
    for role in ("other_unit", "other_inspector"):
        client = login_client(app, world["users"][role])
        assert client.get(f"/ledger/{p.id}").status_code == 404
        assert p.code not in client.get("/ledger").get_data(as_text=True)
        assert client.get(f"/ledger?unit={world['unit'].id}").get_data(as_text=True).count(p.code) == 0
    for role in ("unit", "checker", "admin"):
        client = login_client(app, world["users"][role])
        assert p.code in client.get("/ledger").get_data(as_text=True)


def test_warnings_follow_the_clock(app, db, world, frozen_clock):
    due = date(2023, 7, 1)
    p = new_problem(db, world, deadline=due)
    frozen_clock.set(datetime(2023, 6, 1, 2, tzinfo=timezone.utc))
    assert rules.warning(p, date(2023, 6, 1)) == "green"
    assert rules.warning(p, due - timedelta(days=7)) == "yellow"
    assert rules.warning(p, due) == "yellow"
    assert rules.warning(p, due + timedelta(days=1)) == "red" and rules.days_overdue(p, due + timedelta(days=3)) == 3
    admin = login_client(app, world["admin"])
    assert p.code not in admin.get("/ledger?warn=overdue").get_data(as_text=True)
    frozen_clock.set(datetime(2023, 7, 5, 2, tzinfo=timezone.utc))
    body = admin.get("/ledger?warn=overdue").get_data(as_text=True)
    assert p.code in body and "逾期 4 天" in body
    p.status = "closed"
    db.session.commit()
    assert rules.warning(p, date(2023, 8, 1)) == ""


def test_bulk_is_all_or_nothing(app, db, world):
    a, b = new_problem(db, world), new_problem(db, world)
    b.found_on = date(2023, 9, 1)
    db.session.commit()
    admin = login_client(app, world["admin"])
    token = csrf_from(admin.get("/ledger").get_data(as_text=True))
    resp = admin.post("/ledger/bulk", data={"csrf_token": token, "action": "set_deadline", "deadline": "2023-08-01",
                                            "ids": [a.id, b.id]})
    assert resp.status_code == 303
    db.session.rollback()
    assert db.session.get(Problem, a.id).deadline == date(2023, 7, 1)  # nothing changed
    resp = admin.post("/ledger/bulk", data={"csrf_token": token, "action": "set_category", "category": "制度建设",
                                            "ids": [a.id, b.id]})
    db.session.rollback()
    assert {db.session.get(Problem, i).category for i in (a.id, b.id)} == {"制度建设"}


def test_inspector_records_by_hand_and_fixes_on_site(app, db, world):
    checker = login_client(app, world["users"]["checker"])
    token = csrf_from(checker.get("/ledger/new").get_data(as_text=True))
    resp = checker.post("/ledger/new", data={"csrf_token": token, "round_id": world["round"].id,
                                             "unit_id": world["unit"].id, "category": "作风建设",
                                             "description": "值班表未公示", "severity": "一般",
                                             "found_on": "2023-05-10", "on_site_result": "现场张贴值班表"})
    assert resp.status_code == 303
    p = db.session.scalar(select(Problem).where(Problem.description == "值班表未公示"))
    assert p.status == "closed" and p.result == "现场张贴值班表" and p.source == "daily"
    actions = [e.action for e in db.session.scalars(select(ProblemEvent).where(ProblemEvent.problem_id == p.id))]
    assert actions == ["create", "close_on_site"]
    other = login_client(app, world["users"]["other_inspector"])
    token = csrf_from(other.get("/ledger/new").get_data(as_text=True))
    resp = other.post("/ledger/new", data={"csrf_token": token, "round_id": world["round"].id,
                                           "unit_id": world["unit"].id, "category": "其他", "description": "x",
                                           "severity": "一般"})
    assert resp.status_code == 403


def test_every_way_in_numbers_in_turn_with_a_creation_event(db, world):
    """Self-check, visit, 日常监督, 立行立改 and the importer all create through survey.ledger.creation:
    one sequence of numbers in the round, each problem's first event its creation."""
    from survey.ledger import importing
    from tests.test_ledger_import import ledger

    rnd, unit, checker = world["round"], world["unit"], world["users"]["checker"]
    create_problems(world["submission"], [{"description": "自查发现", "category": "其他"}], world["admin"],
                    date(2023, 5, 1))
    visit = filling.open_submission(rnd, unit, "visit", checker)
    create_problems(visit, [{"description": "问诊发现", "category": "其他"}], checker, date(2023, 5, 2))
    by_hand = {"rnd": rnd, "unit": unit, "category": "其他", "severity": "一般", "deadline": None,
               "found_on": date(2023, 5, 3)}
    operations.register_problem(checker, description="日常发现", **by_hand)
    operations.register_problem(checker, description="当场整改", on_site_result="已当场整改", **by_hand)
    importing.import_ledger(world["admin"], ledger([(1, unit.name, "其他", "导入的问题", None, "2023-05-05", None,
                                                      None, None, None, None, "待整改", None)]), rnd)
    db.session.commit()
    problems = list(db.session.scalars(select(Problem).order_by(Problem.id)))
    assert [(p.code, p.source, p.status) for p in problems] == [
        ("2023-001", "self_check", "open"), ("2023-002", "visit", "open"), ("2023-003", "daily", "open"),
        ("2023-004", "daily", "closed"), ("2023-005", "import", "open")]
    assert db.session.get(type(rnd), rnd.id).problem_seq == 5
    history = [[(e.action, e.from_status, e.to_status, e.comment, e.actor_id) for e in p.events] for p in problems]
    assert history == [
        [("create", "", "open", "自查发现", world["admin"].id)], [("create", "", "open", "上门问诊发现", checker.id)],
        [("create", "", "open", "手工登记", checker.id)],
        [("create", "", "open", "手工登记", checker.id), ("close_on_site", "open", "closed", "立行立改", checker.id)],
        [("import", "", "open", "从台账导入", world["admin"].id)]]


def test_problem_page_shows_its_source_answer_and_days_open(app, db, world, frozen_clock):
    from survey.models import Submission
    sub = db.session.get(Submission, world["submission"].id)
    sub.answers = {"q1": "no"}
    [p] = create_problems(sub, [{"description": "未落实", "category": "政治机关", "question": "q1"}],
                          world["admin"], date(2023, 5, 1))
    db.session.commit()
    frozen_clock.set(datetime(2023, 5, 11, 2, tzinfo=timezone.utc))
    body = login_client(app, world["users"]["unit"]).get(f"/ledger/{p.id}").get_data(as_text=True)
    assert "检查项" in body and "回答：<b>否</b>" in body
    assert "已持续 10 天" in body
    assert rules.days_open(p, date(2023, 5, 11)) == 10
