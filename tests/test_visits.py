"""Before, during and after a visit: the self-check vs on-site comparison (against counts worked out
here independently), the 问诊 pack and the 问诊报告 with every kind of answer, photos and problems, and
access refused across units and groups (with the audit row)."""
from __future__ import annotations

import io
import random
import re
from datetime import date, datetime, timezone

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import select

from survey.filling import operations as filling
from survey.filling import photos
from survey.models import AuditLog, Problem, Role, Submission
from survey.questionnaires.operations import import_questionnaire
from survey.seed import load_builtin_questionnaires
from tests.conftest import do_login
from tests.factories import still_open, make_group, make_unit, make_user
from tests.test_filling import compliant_answers

# --- the world: two units, two groups, the built-in forms, one round -------------------------------

def build_world(db, self_check=None, onsite=None) -> dict:
    admin = make_user(Role.ADMIN, username="boss", display_name="管理员")
    unit_a = make_unit("农业农村局", contact_name="王联络", contact_phone="13900000001")
    unit_b = make_unit("财政局")
    insp_a = make_user(Role.INSPECTOR, username="insp-a", display_name="张督导")
    insp_b = make_user(Role.INSPECTOR, username="insp-b", display_name="李督导")
    make_group("第一督导组", members=[insp_a], units=[unit_a])
    make_group("第二督导组", members=[insp_b], units=[unit_b])
    liaison_a = make_user(Role.UNIT, username="liaison-a", unit=unit_a, display_name="赵联络员",
                          phone="13800000002")
    liaison_b = make_user(Role.UNIT, username="liaison-b", unit=unit_b)
    if self_check is None:
        self_check, onsite = load_builtin_questionnaires(admin)
    rnd = filling.create_round(admin, name="2023年廉洁机关建设上门问诊", code="2023", starts_on=date(2023, 3, 1),
                               ends_on=still_open(date(2023, 12, 31)), self_check_deadline=date(2023, 4, 30),
                               self_check_version=self_check, onsite_version=onsite, units=[unit_a, unit_b])
    db.session.commit()
    return {"admin": admin, "unit_a": unit_a, "unit_b": unit_b, "insp_a": insp_a, "insp_b": insp_b,
            "liaison_a": liaison_a, "liaison_b": liaison_b, "round": rnd, "self_check": self_check,
            "onsite": onsite}


@pytest.fixture()
def world(app, db):
    return build_world(db)


def submit_self_check(world, unit, answers, db) -> Submission:
    liaison = world["liaison_a"] if unit is world["unit_a"] else world["liaison_b"]
    sub = filling.open_submission(world["round"], unit, "self_check", liaison)
    db.session.flush()
    filling.submit(liaison, sub, {"answers": answers}, f"self-{unit.id}")
    db.session.commit()
    return sub


def open_visit(world, unit, db, rnd=None) -> tuple[Submission, object]:
    inspector = world["insp_a"] if unit is world["unit_a"] else world["insp_b"]
    sub = filling.open_submission(rnd or world["round"], unit, "visit", inspector)
    db.session.flush()
    return sub, inspector


def submit_visit(world, unit, answers, db, found=(), rnd=None, facts=None) -> Submission:
    sub, inspector = open_visit(world, unit, db, rnd)
    facts = facts or {"visit_date": "2023-05-10", "place": f"{unit.name}会议室",
                      "member_ids": [inspector.id], "attendees": "单位主要负责人、纪检干部"}
    payload = {"answers": answers, "facts": facts, "found": list(found)}
    filling.submit(inspector, sub, payload, f"visit-{sub.id}")
    db.session.commit()
    return sub


def onsite_answers(version) -> dict:
    answers = compliant_answers(version)
    answers.update({"q_record": "询问第一议题制度落实情况，回答清楚", "s_overall": "good"})
    return answers


def client_as(app, user):
    client = app.test_client()
    assert do_login(client, user.username).status_code == 302
    return client


# --- the comparison, against counts worked out here ------------------------------------------------

def paragraphs(answers: dict, name: str) -> int:
    return len([line for line in answers.get(name, "").split("\n") if line])


def scenario(rng: random.Random, self_version, onsite_version) -> tuple[dict, dict, int, int]:
    """Random self-check and visit answers, and what the comparison must count, worked out from the
    answers alone: (self answers, visit answers, hidden problems, hidden rows)."""
    own, visit = compliant_answers(self_version), onsite_answers(onsite_version)
    common = sorted({q.name for q in self_version.questions if q.type == "check"}
                    & {q.name for q in onsite_version.questions if q.type == "check"})
    problems = rows = 0
    for name in common:
        own[name], visit[name] = rng.choice(["yes", "yes", "no", "na"]), rng.choice(["yes", "no", "no", "na"])
        if own[name] != "no" and visit[name] == "no":
            problems, rows = problems + 1, rows + 1
    if own["p1"] != "yes":
        del own["p2"]  # 最近一次学习日期 is asked only after 是
    for section in ("political", "integrity"):  # free-text findings: one problem per paragraph
        k = rng.randint(0, 2)
        if k:
            visit[f"f_{section}"] = "\n".join(f"{section}问题{i}" for i in range(k))
    visit["ob_culture"] = rng.choice(["yes", "no"])   # category 廉洁型机关: with integrity's free text
    visit["ob_spirit"] = rng.choice(["yes", "no"])    # category 作风建设: a row of its own
    political, integrity = paragraphs(visit, "f_political"), paragraphs(visit, "f_integrity")
    integrity += visit["ob_culture"] == "no"
    problems += political + integrity + (visit["ob_spirit"] == "no")
    rows += bool(political) + bool(integrity) + (visit["ob_spirit"] == "no")
    visit["q_score"] = str(rng.choice([4, 8]))          # category 其他, like the self-check's o1
    if rng.random() < 0.5:
        own["o1"] = "档案管理不规范"
    elif visit["q_score"] == "4":
        problems, rows = problems + 1, rows + 1
    return own, visit, problems, rows


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_comparison_counts_what_the_self_check_hid(app, world, db, seed):
    rng = random.Random(seed)
    expected = {}
    for unit in (world["unit_a"], world["unit_b"]):
        own, visit, problems, rows = scenario(rng, world["self_check"], world["onsite"])
        submit_self_check(world, unit, own, db)
        submit_visit(world, unit, visit, db)
        expected[unit.name] = (problems, rows)
    client = client_as(app, world["admin"])
    rid = world["round"].id
    for unit in (world["unit_a"], world["unit_b"]):
        html = client.get(f"/rounds/{rid}/units/{unit.id}/comparison").get_data(as_text=True)
        assert re.search(r'id="hidden-count">(\d+)<', html).group(1) == str(expected[unit.name][0])
        assert f"自查未发现、督导发现（{expected[unit.name][1]} 项）" in html
        assert html.count('class="cmp-row cmp-hidden"') == expected[unit.name][1]
    ranking = client.get(f"/rounds/{rid}/comparison").get_data(as_text=True)
    counts = [int(c) for c in re.findall(r'aria-label="自查未发现、督导发现 (\d+) 个"', ranking)]
    assert counts == sorted((p for p, _ in expected.values()), reverse=True)
    worst = max(expected, key=lambda n: expected[n][0])
    assert ranking.index(worst) < ranking.index(min(expected, key=lambda n: expected[n][0])) or \
        len({p for p, _ in expected.values()}) == 1


def test_dropped_and_cancelled_findings_do_not_count(app, world, db):
    own = compliant_answers(world["self_check"])
    visit = onsite_answers(world["onsite"])
    visit.update({"p1": "no", "p3": "no", "l1": "no"})
    submit_self_check(world, world["unit_a"], own, db)
    sub = submit_visit(world, world["unit_a"], visit, db,
                       found=[{"key": "p3", "dropped": True, "drop_reason": "现场已整改"}])
    l1 = db.session.scalar(select(Problem).where(Problem.submission_id == sub.id,
                                                 Problem.question_name == "l1"))
    l1.status = "cancelled"
    db.session.commit()
    html = client_as(app, world["admin"]).get(
        f"/rounds/{world['round'].id}/units/{world['unit_a'].id}/comparison").get_data(as_text=True)
    assert re.search(r'id="hidden-count">(\d+)<', html).group(1) == "1"      # p1 only
    report = client_as(app, world["insp_a"]).get(
        f"/rounds/{world['round'].id}/units/{world['unit_a'].id}/report").get_data(as_text=True)
    assert "核对时未列入台账的事项" in report and "现场已整改" in report


def test_nothing_is_counted_before_both_are_submitted(app, world, db):
    visit = onsite_answers(world["onsite"])
    visit["p1"] = "no"
    submit_visit(world, world["unit_b"], visit, db)     # unit B: visited, self-check never submitted
    submit_self_check(world, world["unit_a"], compliant_answers(world["self_check"]), db)
    client = client_as(app, world["admin"])
    rid = world["round"].id
    html = client.get(f"/rounds/{rid}/units/{world['unit_b'].id}/comparison").get_data(as_text=True)
    assert "单位尚未提交自查" in html and "cmp-hidden" not in html and "hidden-count" not in html
    ranking = client.get(f"/rounds/{rid}/comparison").get_data(as_text=True)
    assert ranking.count("自查未提交") == 1 and ranking.count("未问诊") == 1
    assert "aria-label=\"自查未发现" not in ranking


# --- every kind of answer, photos and problems, in the pack and the report -------------------------

def all_types_workbook(form_id: str, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    rows = [
        ["type", "name", "label", "appearance", "parameters", "problem_if", "problem_category"],
        ["begin group", "political", "政治机关"],
        ["select_one yes_no_na", "p1", "是否落实第一议题制度", None, None, ". = 'no'"],
        ["select_one yes_no_na", "p3", "是否传达学习党的二十大精神", None, None, ". = 'no'"],
        ["note", "n1", "以下各题覆盖全部题型"],
        ["select_one level", "lvl", "制度执行情况", None, None, ". = 'low'"],
        ["select_multiple forms", "forms", "学习形式"],
        ["text", "t1", "负责人姓名"],
        ["text", "ta", "其他发现的问题", "multiline", None, ". != ''", "作风建设"],
        ["integer", "cnt", "集中学习次数", None, "min=0 max=500"],
        ["decimal", "dec", "经费执行率"],
        ["date", "d1", "最近一次学习日期"],
        ["image", "ph", "现场照片", None, "max=3"],
        ["range", "sc", "综合评分", None, "start=0 end=10 step=1", ". < 6"],
        ["end group"],
    ]
    for row in rows:
        ws.append(row)
    choices = wb.create_sheet("choices")
    for row in (["list_name", "name", "label"], ["yes_no_na", "yes", "是"], ["yes_no_na", "no", "否"],
                ["yes_no_na", "na", "不适用"], ["level", "high", "严格执行"], ["level", "low", "执行不到位"],
                ["forms", "lecture", "业务大讲堂"], ["forms", "reading", "专题读书会"]):
        choices.append(row)
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append([title, form_id])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ALL_TYPES = {"p1": "no", "p3": "yes", "lvl": "low", "forms": ["lecture", "reading"], "t1": "钱主任",
             "ta": "公车管理台账缺失\n会议纪要未归档", "cnt": "42", "dec": "87.5", "d1": "2023-04-18", "sc": "4"}
ANSWER_TEXTS = ("否", "是", "执行不到位", "业务大讲堂、专题读书会", "钱主任", "公车管理台账缺失\n会议纪要未归档",
                "42", "87.5", "2023-04-18", "4 分", "1 张照片", "以下各题覆盖全部题型")


@pytest.fixture()
def typed_world(app, db, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    admin = make_user(Role.ADMIN, username="author")
    own, _ = import_questionnaire(admin, all_types_workbook("all_self", "全题型自查表"), "a.xlsx", publish=True,
                                  kind="self_check")
    onsite, _ = import_questionnaire(admin, all_types_workbook("all_onsite", "全题型问诊表"), "b.xlsx",
                                     publish=True, kind="onsite")
    db.session.commit()
    return build_world(db, own, onsite)


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 90), (180, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def with_photo(app, sub: Submission, actor, db):
    photo, _ = photos.store_photo(actor, sub, "ph", f"c{sub.id}", jpeg(), "现场.jpg",
                                  10 * 1024 * 1024)
    db.session.commit()
    return photo


def test_pack_and_report_show_every_kind_of_answer_photos_and_problems(app, typed_world, db, frozen_clock):
    w, db_ = typed_world, db
    frozen_clock.set(datetime(2023, 5, 8, 2, 0, tzinfo=timezone.utc))
    earlier = filling.create_round(w["admin"], name="2022年上门问诊", code="2022", starts_on=date(2022, 3, 1),
                                   ends_on=date(2022, 12, 31), self_check_deadline=date(2022, 4, 30),
                                   self_check_version=w["self_check"], onsite_version=w["onsite"],
                                   units=[w["unit_a"]])
    db.session.commit()
    frozen_clock.set(datetime(2022, 5, 20, 2, 0, tzinfo=timezone.utc))  # visited while that round ran
    submit_visit(w, w["unit_a"], {**ALL_TYPES, "ta": "", "lvl": "high", "sc": "8"}, db, rnd=earlier,
                 found=[{"key": "p1", "deadline": "2022-06-30"}],
                 facts={"visit_date": "2022-05-20", "member_ids": [w["insp_a"].id]})
    frozen_clock.set(datetime(2023, 5, 8, 2, 0, tzinfo=timezone.utc))
    own = filling.open_submission(w["round"], w["unit_a"], "self_check", w["liaison_a"])
    db.session.flush()
    with_photo(app, own, w["liaison_a"], db)
    filling.submit(w["liaison_a"], own, {"answers": ALL_TYPES}, "own-1")
    db.session.commit()
    visit, inspector = open_visit(w, w["unit_a"], db)
    photo = with_photo(app, visit, inspector, db)
    submit_visit(w, w["unit_a"], ALL_TYPES, db, found=[{"key": "p1", "deadline": "2023-07-31"},
                                                       {"key": "ta#1", "deadline": "2023-06-30"}])
    base = f"/rounds/{w['round'].id}/units/{w['unit_a'].id}"
    client = client_as(app, w["insp_a"])
    pack = client.get(f"{base}/pack")
    assert pack.status_code == 200
    html = pack.get_data(as_text=True)
    for text in ANSWER_TEXTS:
        assert text in html, text
    assert "13900000001" in html and "赵联络员" in html and "13800000002" in html   # contact, liaison
    assert html.count('class="gap gap-no"') == 3            # p1 否, lvl 执行不到位, sc 4 分
    assert "2022年上门问诊" in html and "逾期" in html and "2022-06-30" in html   # earlier, overdue, last visit
    own_codes = [p.code for p in db.session.scalars(select(Problem).where(Problem.submission_id == own.id))]
    assert own_codes and all(code in html for code in own_codes)
    report = client.get(f"{base}/report").get_data(as_text=True)
    assert "农业农村局上门问诊报告" in report and "张督导" in report and "第一督导组" in report
    for text in ANSWER_TEXTS:
        assert text in report, text
    assert f'href="/photos/{photo.id}"' in report and client.get(f"/photos/{photo.id}").status_code == 200
    thumb = f"/photos/{photo.id}/thumb?v={photo.sha256[:16]}"  # the thumbnail, not the file
    assert f'src="{thumb}"' in report.replace("&amp;", "&") and client.get(thumb).mimetype == "image/jpeg"
    found = list(db.session.scalars(select(Problem).where(Problem.submission_id == visit.id)))
    assert len(found) == 5                                  # p1, lvl, ta ×2, sc
    for p in found:
        assert p.code in report and p.description in report
    assert "2023-07-31" in report and "2023-06-30" in report


def test_report_of_a_unit_not_yet_visited(app, world, db):
    html = client_as(app, world["admin"]).get(
        f"/rounds/{world['round'].id}/units/{world['unit_a'].id}/report").get_data(as_text=True)
    assert "尚未对该单位开展上门问诊" in html


# --- access: refused across units and groups, and audited ------------------------------------------

PAGES = ("comparison", "pack", "report")


def denials(db) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.event == "access_denied").order_by(AuditLog.id)
    return list(db.session.scalars(stmt))


def page_of(row: AuditLog) -> str:
    """A liaison's 404 is recorded by the visit pages (page); every 403 by the app (endpoint)."""
    return row.details.get("page") or row.details["endpoint"].removeprefix("visits.")


@pytest.mark.parametrize("who, status", [("liaison_a", 404), ("liaison_b", 404), ("insp_b", 403)])
def test_other_units_and_groups_are_refused_and_audited(app, world, db, who, status):
    submit_visit(world, world["unit_a"], onsite_answers(world["onsite"]), db)
    client = client_as(app, world[who])
    for page in PAGES:
        resp = client.get(f"/rounds/{world['round'].id}/units/{world['unit_a'].id}/{page}")
        assert resp.status_code == status
        assert "农业农村局" not in resp.get_data(as_text=True)
    rows = denials(db)
    assert [page_of(r) for r in rows] == list(PAGES)       # one row per refusal
    assert all(r.actor_id == world[who].id and not r.success for r in rows)
    assert all(r.target_label == "农业农村局" or r.details["ids"]["unit_id"] == world["unit_a"].id for r in rows)
    assert rows[0].event_label == "越权访问被拒绝"


def test_the_round_ranking_is_scoped(app, world, db):
    rid = world["round"].id
    html = client_as(app, world["insp_b"]).get(f"/rounds/{rid}/comparison").get_data(as_text=True)
    assert "财政局" in html and "农业农村局" not in html
    assert client_as(app, world["liaison_a"]).get(f"/rounds/{rid}/comparison").status_code == 404
    stranger = make_user(Role.INSPECTOR, username="stranger", groups=[make_group("第三督导组")])
    assert client_as(app, stranger).get(f"/rounds/{rid}/comparison").status_code == 403
    refused = [(r.actor_username, page_of(r)) for r in denials(db)]
    assert refused == [("liaison-a", "ranking"), ("stranger", "ranking")]


def test_allowed_roles_open_every_page_and_anonymous_logs_in(app, world, db):
    submit_visit(world, world["unit_a"], onsite_answers(world["onsite"]), db)
    base = f"/rounds/{world['round'].id}/units/{world['unit_a'].id}"
    for user in (world["admin"], world["insp_a"]):
        client = client_as(app, user)
        assert all(client.get(f"{base}/{page}").status_code == 200 for page in PAGES)
    resp = app.test_client().get(f"{base}/pack")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    unknown = f"/rounds/{world['round'].id}/units/999999/pack"
    assert client_as(app, world["admin"]).get(unknown).status_code == 404


@pytest.mark.parametrize("who", ["admin", "insp_a"])
def test_every_page_is_reachable_from_the_round_page(app, world, db, who):
    submit_visit(world, world["unit_a"], onsite_answers(world["onsite"]), db)
    rid, uid = world["round"].id, world["unit_a"].id
    html = client_as(app, world[who]).get(f"/rounds/{rid}").get_data(as_text=True)
    for href in (f"/rounds/{rid}/comparison", f"/rounds/{rid}/units/{uid}/comparison",
                 f"/rounds/{rid}/units/{uid}/pack", f"/rounds/{rid}/units/{uid}/report"):
        assert f'href="{href}"' in html, href
