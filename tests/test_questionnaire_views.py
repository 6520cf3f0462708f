"""Authoring questionnaires on screen: create, edit, reorder, preview, publish, versions."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from survey.errors import InvalidTransition
from survey.extensions import db as _db
from survey.models import AuditLog, Question, Questionnaire, QuestionnaireVersion, Role
from survey.questionnaires import editing, operations
from survey.questionnaires.convert import spec_from_version
from survey.questionnaires.versioning import PublishedVersionImmutable
from survey.seed import BUILTIN, BUILTIN_FORMS
from tests.conftest import csrf_from
from tests.factories import make_user

BASE_QUESTION = {"required": "y", "required_message": "", "hint": "", "relevant": "", "constraint": "",
                 "constraint_message": "", "problem_if": "", "problem_category": "", "problem_severity": "",
                 "choices": "", "min_value": "", "max_value": "", "max_photos": "", "max_points": "",
                 "points": ""}


@pytest.fixture()
def admin(client, db, login):
    user = make_user(Role.ADMIN, username="boss")
    login(user)
    return user


def post(client, url, data, page=None):
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def new_draft(client) -> QuestionnaireVersion:
    resp = post(client, "/questionnaires/new", {"title": "测试自查表", "kind": "self_check"})
    assert resp.status_code == 302
    version_id = int(re.search(r"/versions/(\d+)", resp.headers["Location"]).group(1))
    return _db.session.get(QuestionnaireVersion, version_id)


def add_question(client, section_id, **values):
    data = {**BASE_QUESTION, **values}
    if data.get("required") in (False, None):
        data.pop("required")
    return post(client, f"/questionnaires/sections/{section_id}/questions/new", data)


def names(version_id):
    version = _db.session.get(QuestionnaireVersion, version_id)
    return [[q.name for q in s.questions] for s in version.sections]


def test_admin_builds_a_questionnaire_with_every_type(client, admin):
    version = new_draft(client)
    section_id = version.sections[0].id
    cases = [
        dict(name="c1", type="check", label="是否落实第一议题", problem_if=". = 'no'"),
        dict(name="s1", type="single", label="排查情况", choices="full=已全面排查\npartial=部分排查\n未排查"),
        dict(name="m1", type="multiple", label="学习形式", choices="大讲堂\n读书会", required=False),
        dict(name="t1", type="text", label="填表人"),
        dict(name="t2", type="textarea", label="问题说明", required=False, relevant="${c1} = 'no'"),
        dict(name="i1", type="integer", label="学习次数", min_value="0", max_value="500"),
        dict(name="d1", type="decimal", label="经费（万元）", min_value="0.5"),
        dict(name="dt", type="date", label="填表日期"),
        dict(name="ph", type="photo", label="现场照片", max_photos="2", required=False),
        dict(name="sc", type="score", label="自评得分", max_points="5", problem_if=". < 3",
             problem_category="效能型机关", problem_severity="较重"),
        dict(name="nt", type="note", label="以下由督导组填写"),
    ]
    for case in cases:
        resp = add_question(client, section_id, **case)
        assert resp.status_code == 302, (case["name"], resp.get_data(as_text=True)[-1500:])
    version = _db.session.get(QuestionnaireVersion, version.id)
    by_name = {q.name: q for q in version.questions}
    assert [q.name for q in version.questions] == [c["name"] for c in cases]
    assert by_name["s1"].options(version) == [{"name": "full", "label": "已全面排查"},
                                              {"name": "partial", "label": "部分排查"},
                                              {"name": "3", "label": "未排查"}]
    assert [o["label"] for o in by_name["m1"].options(version)] == ["大讲堂", "读书会"]
    assert by_name["i1"].parameters == {"min": 0, "max": 500}
    assert by_name["d1"].parameters == {"min": 0.5}
    assert by_name["ph"].parameters == {"max": 2}
    assert by_name["sc"].parameters == {"start": 0, "end": 5, "step": 1}
    assert (by_name["sc"].problem_category, by_name["sc"].problem_severity) == ("效能型机关", "较重")
    assert by_name["t2"].relevant_ast == {"t": "cmp", "op": "=", "l": {"t": "ref", "n": "c1"},
                                          "r": {"t": "lit", "v": "no"}}
    assert by_name["c1"].required and not by_name["nt"].required
    html = client.get(f"/questionnaires/versions/{version.id}/preview").get_data(as_text=True)
    for fragment in ('name="c1" value="no"', 'name="s1" value="partial"', 'type="checkbox" name="m1"',
                     'name="i1"', 'min="0"', 'max="500"', 'type="date" name="dt"', 'accept="image/*"',
                     'name="sc" value="5"', "data-relevant=", "以下由督导组填写"):
        assert fragment in html, fragment


@pytest.mark.parametrize("values, field_id, message", [
    (dict(name="x1", type="text", label="x", relevant="${c1 = 'no'"), "relevant", "表达式有误"),
    (dict(name="x1", type="text", label="x", relevant="${later} = 'no'"), "relevant", "只能引用前面的题目"),
    (dict(name="x1", type="text", label="x", constraint="string-length(.) < 5"), "constraint", "不支持的函数"),
    (dict(name="c1", type="text", label="重复"), "name", "重复"),
    (dict(name="1abc", type="text", label="x"), "name", "不能以数字开头"),
    (dict(name="x1", type="single", label="x", choices=""), "choices", "请至少填写一个选项"),
    (dict(name="x1", type="integer", label="x", min_value="9", max_value="1"), "parameters", "最小值不能大于最大值"),
    (dict(name="x1", type="text", label=""), "label", "请输入题目"),
])
def test_bad_questions_are_refused_beside_the_field(client, admin, values, field_id, message):
    version = new_draft(client)
    section_id = version.sections[0].id
    assert add_question(client, section_id, name="c1", type="check", label="检查项").status_code == 302
    resp = add_question(client, section_id, **values)
    body = resp.get_data(as_text=True)
    assert resp.status_code in (400, 422)
    if field_id == "parameters":  # min/max: one message for the pair, above both fields
        assert message in body
    else:  # beside its own field, not merely somewhere on the page
        assert re.search(rf'id="{field_id}-err"[^>]*>[^<]*{message}', body), body[-3000:]
    assert names(version.id) == [["c1"]]


def test_reordering_questions_and_sections(client, admin):
    version = new_draft(client)
    s1 = version.sections[0].id
    for name in ("a", "b", "c"):
        assert add_question(client, s1, name=name, type="text", label=name).status_code == 302
    page = f"/questionnaires/versions/{version.id}"
    qid = {q.name: q.id for q in _db.session.get(QuestionnaireVersion, version.id).questions}
    assert post(client, f"/questionnaires/questions/{qid['c']}/move", {"direction": "up"}, page).status_code == 303
    assert names(version.id) == [["a", "c", "b"]]
    resp = post(client, f"/questionnaires/versions/{version.id}/sections/new", {"title": "第二部分"})
    assert resp.status_code == 302
    assert post(client, f"/questionnaires/questions/{qid['b']}/move", {"direction": "down"}, page).status_code == 303
    assert names(version.id) == [["a", "c"], ["b"]]
    s2 = _db.session.get(QuestionnaireVersion, version.id).sections[1].id
    assert post(client, f"/questionnaires/sections/{s2}/move", {"direction": "up"}, page).status_code == 303
    assert names(version.id) == [["b"], ["a", "c"]]


def test_a_move_that_breaks_a_reference_is_refused(client, admin):
    version = new_draft(client)
    s1 = version.sections[0].id
    add_question(client, s1, name="a", type="check", label="a")
    add_question(client, s1, name="b", type="text", label="b", relevant="${a} = 'no'")
    b_id = _db.session.scalar(select(Question.id).where(Question.name == "b"))
    resp = post(client, f"/questionnaires/questions/{b_id}/move", {"direction": "up"},
                f"/questionnaires/versions/{version.id}")
    assert resp.status_code == 400 and "只能引用前面的题目" in resp.get_data(as_text=True)
    assert names(version.id) == [["a", "b"]]
    a_id = _db.session.scalar(select(Question.id).where(Question.name == "a"))
    resp = post(client, f"/questionnaires/questions/{a_id}/delete", {}, f"/questionnaires/versions/{version.id}")
    assert resp.status_code == 400 and names(version.id) == [["a", "b"]]


def test_sections_edit_and_delete(client, admin):
    version = new_draft(client)
    s1 = version.sections[0].id
    resp = post(client, f"/questionnaires/sections/{s1}/edit", {"title": "政治机关", "hint": "要点",
                                                                 "relevant": ""})
    assert resp.status_code == 302
    assert _db.session.get(QuestionnaireVersion, version.id).sections[0].title == "政治机关"
    page = f"/questionnaires/versions/{version.id}"
    resp = post(client, f"/questionnaires/sections/{s1}/delete", {}, page)
    assert resp.status_code == 400 and "至少要保留一个部分" in resp.get_data(as_text=True)
    post(client, f"/questionnaires/versions/{version.id}/sections/new", {"title": "第二部分"})
    add_question(client, s1, name="a", type="text", label="a")
    assert post(client, f"/questionnaires/sections/{s1}/delete", {}, page).status_code == 303
    assert names(version.id) == [[]]
    assert _db.session.scalar(select(func.count(Question.id))) == 0


def test_publish_freezes_the_version_and_a_new_draft_copies_it(client, admin):
    version = new_draft(client)
    page = f"/questionnaires/versions/{version.id}"
    resp = post(client, f"/questionnaires/versions/{version.id}/publish", {}, page)
    assert resp.status_code == 400 and "还没有题目" in resp.get_data(as_text=True)
    add_question(client, version.sections[0].id, name="a", type="check", label="a")
    assert post(client, f"/questionnaires/versions/{version.id}/publish", {}, page).status_code == 303
    v1 = _db.session.get(QuestionnaireVersion, version.id)
    assert v1.is_published and v1.published_at is not None
    assert _db.session.scalar(select(AuditLog).where(AuditLog.event == "questionnaire_publish")) is not None
    resp = post(client, f"/questionnaires/{v1.questionnaire_id}/drafts", {}, page)
    assert resp.status_code == 303
    v2 = _db.session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.number == 2))
    assert v2.state == "draft" and [q.name for q in v2.questions] == ["a"]
    add_question(client, v2.sections[0].id, name="b", type="text", label="b")
    assert names(v1.id) == [["a"]] and names(v2.id) == [["a", "b"]]


def test_publishing_a_stale_draft_is_a_conflict(client, admin):
    version = new_draft(client)
    add_question(client, version.sections[0].id, name="a", type="check", label="a")
    page = f"/questionnaires/versions/{version.id}"
    html = client.get(page).get_data(as_text=True)
    stale_lock = re.search(r'name="lock_version" type="hidden" value="(\d+)"', html).group(1)
    add_question(client, version.sections[0].id, name="b", type="check", label="b")
    resp = client.post(f"/questionnaires/versions/{version.id}/publish",
                       data={"csrf_token": csrf_from(html), "lock_version": stale_lock})
    assert resp.status_code == 409 and "已被他人修改" in resp.get_data(as_text=True)
    assert not _db.session.get(QuestionnaireVersion, version.id).is_published


def _published(client) -> QuestionnaireVersion:
    version = new_draft(client)
    add_question(client, version.sections[0].id, name="a", type="single", label="a", choices="x\ny")
    post(client, f"/questionnaires/versions/{version.id}/publish", {}, f"/questionnaires/versions/{version.id}")
    return _db.session.get(QuestionnaireVersion, version.id)


def test_a_published_version_cannot_be_changed_through_any_route(client, admin):
    version = _published(client)
    before = spec_from_version(version)
    s, q = version.sections[0].id, version.questions[0].id
    page = f"/questionnaires/versions/{version.id}"
    attempts = [
        ("GET", f"/questionnaires/versions/{version.id}/sections/new", {}),
        ("POST", f"/questionnaires/versions/{version.id}/sections/new", {"title": "新"}),
        ("GET", f"/questionnaires/sections/{s}/edit", {}),
        ("POST", f"/questionnaires/sections/{s}/edit", {"title": "改"}),
        ("POST", f"/questionnaires/sections/{s}/move", {"direction": "up"}),
        ("POST", f"/questionnaires/sections/{s}/delete", {}),
        ("GET", f"/questionnaires/sections/{s}/questions/new", {}),
        ("POST", f"/questionnaires/sections/{s}/questions/new", {**BASE_QUESTION, "name": "z", "type": "text",
                                                                   "label": "z"}),
        ("GET", f"/questionnaires/questions/{q}/edit", {}),
        ("POST", f"/questionnaires/questions/{q}/edit", {**BASE_QUESTION, "name": "a", "type": "text",
                                                         "label": "改"}),
        ("POST", f"/questionnaires/questions/{q}/move", {"direction": "down"}),
        ("POST", f"/questionnaires/questions/{q}/delete", {}),
        ("POST", f"/questionnaires/versions/{version.id}/publish", {}),
        ("POST", f"/questionnaires/versions/{version.id}/delete", {}),
    ]
    for method, url, data in attempts:
        resp = client.get(url) if method == "GET" else post(client, url, data, page)
        assert resp.status_code == 409, (method, url, resp.status_code)
        body = resp.get_data(as_text=True)
        assert "已发布的版本不能修改" in body or "该版本已发布" in body or "已发布的版本不能删除" in body, url
    after = spec_from_version(_db.session.get(QuestionnaireVersion, version.id))
    assert after == before


def test_the_model_refuses_changes_to_a_published_version_whatever_the_caller(app, client, admin):
    version = _published(client)
    question = version.questions[0]
    question.label = "偷偷修改"
    with pytest.raises(PublishedVersionImmutable):
        _db.session.flush()
    _db.session.rollback()
    version = _db.session.get(QuestionnaireVersion, version.id)
    version.title = "改名"
    with pytest.raises(PublishedVersionImmutable):
        _db.session.commit()
    _db.session.rollback()
    version = _db.session.get(QuestionnaireVersion, version.id)
    with pytest.raises(InvalidTransition):
        editing.add_section(version, "新部分")
    _db.session.rollback()
    assert _db.session.get(QuestionnaireVersion, version.id).title == "测试自查表"


def test_delete_a_draft(client, admin):
    version = new_draft(client)
    add_question(client, version.sections[0].id, name="a", type="text", label="a")
    resp = post(client, f"/questionnaires/versions/{version.id}/delete", {}, f"/questionnaires/versions/{version.id}")
    assert resp.status_code == 303
    assert _db.session.scalar(select(func.count(Questionnaire.id))) == 0
    assert _db.session.scalar(select(func.count(Question.id))) == 0


def upload(client, data: bytes, name: str, **fields):
    token = csrf_from(client.get("/questionnaires/import").get_data(as_text=True))
    return client.post("/questionnaires/import", data={"csrf_token": token, "file": (io.BytesIO(data), name), "kind": "",
                                                       **fields}, content_type="multipart/form-data")


def test_import_and_export_through_the_pages(client, admin):
    data = (BUILTIN / BUILTIN_FORMS[0]).read_bytes()
    resp = upload(client, data, BUILTIN_FORMS[0], publish="y")
    assert resp.status_code == 302
    version = _db.session.scalar(select(QuestionnaireVersion))
    assert version.is_published and len(version.questions) == 46
    assert version.questionnaire.kind == "self_check"
    export = client.get(f"/questionnaires/versions/{version.id}/export.xlsx")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(export.data))
    assert wb.sheetnames == ["survey", "choices", "settings"]
    assert wb["settings"]["B2"].value == "lianjie_self_check"
    again = upload(client, export.data, "再次导入.xlsx")
    assert again.status_code == 302
    v2 = _db.session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.number == 2))
    first = spec_from_version(_db.session.get(QuestionnaireVersion, version.id))
    assert spec_from_version(v2) == first  # the same questionnaire, as a new version


def test_import_errors_are_listed_by_row_in_chinese(client, admin):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (["type", "name", "label", "relevant"], ["geopoint", "where", "位置", ""],
                ["text", "a", "甲", "${b} = '1'"], ["text", "b", "乙", ""], ["text", "a", "重复", ""]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(client, buf.getvalue(), "bad.xlsx")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "<td>survey</td><td>2</td><td>type</td>" in body and "geopoint" in body
    assert "<td>3</td><td>relevant</td>" in body and "只能引用前面的题目" in body
    assert "<td>5</td><td>name</td>" in body and "与第 3 行重复" in body
    assert _db.session.scalar(select(func.count(Questionnaire.id))) == 0
    assert upload(client, b"not excel", "x.xlsx").status_code == 422


def test_cli_import_and_export(app, db, tmp_path):
    runner = app.test_cli_runner()
    src = BUILTIN / BUILTIN_FORMS[1]
    result = runner.invoke(args=["import-questionnaire", str(src), "--publish"])
    assert result.exit_code == 0, result.output
    match = re.search(r"id=(\d+) version=(\d+)", result.output)
    assert match and match.group(2) == "1"
    out = tmp_path / "out.xlsx"
    result = runner.invoke(args=["export-questionnaire", match.group(1), "--out", str(out)])
    assert result.exit_code == 0 and out.exists()
    rows = list(load_workbook(out)["survey"].iter_rows(values_only=True))
    assert rows[0][:3] == ("type", "name", "label") and len(rows) > 21
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nope")
    result = runner.invoke(args=["import-questionnaire", str(bad)])
    assert result.exit_code != 0 and "不是有效的 Excel" in result.output
    result = runner.invoke(args=["export-questionnaire", "9999", "--out", str(out)])
    assert result.exit_code != 0 and "问卷不存在" in result.output


def test_seeded_forms_are_published_and_tied_to_their_versions(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--empty"]).exit_code == 0
    forms = {q.title: q for q in db.session.scalars(select(Questionnaire))}
    assert set(forms) == {"廉洁机关建设自查表", "上门问诊督导记录表"}
    self_check = forms["廉洁机关建设自查表"].latest_published
    assert self_check.is_published and len(self_check.sections) == 7
    assert [s.title for s in self_check.sections[:6]] == ["政治机关", "学习型机关", "服务型机关", "法治型机关",
                                                         "廉洁型机关", "效能型机关"]
    assert all(5 <= len(s.questions) <= 8 for s in self_check.sections[:6])
    checks = [q for q in self_check.questions if q.type == "check"]
    assert len(checks) == 27 and all(q.problem_if == ". = 'no'" for q in checks)
    assert forms["上门问诊督导记录表"].kind == "onsite"
