"""Importing an office's existing problem ledger (.xlsx): exact import, row-level errors with nothing
imported, preview then confirm once, the CLI and its dry run, and who may use the page."""
from __future__ import annotations

import io
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey.filling import operations as filling
from survey.ledger import import_read, importing
from survey.ledger.import_values import parse_date
from survey.models import AuditLog, Problem, ProblemEvent, Role, Round
from survey.storage import get_storage
from tests.conftest import csrf_from, do_login, get_csrf
from tests.factories import still_open, make_forms, make_group, make_unit, make_user

TITLE = "XX区廉洁机关建设问题整改台账"
HEADER = ("序号", "责任单位", "问题类别", "问题描述", "严重程度", "发现时间", "整改期限", "责任人", "整改措施",
          "整改进展", "完成情况", "状态", "销号时间")
OFFICE_ROWS = [
    (1, "农业农村局", "政治机关", "“三重一大”事项未集体研究", "较重", datetime(2023, 5, 10), "2023年6月30日",
     "张三", "修订议事规则", None, None, "待整改", None),
    (2, "财政局", None, "会议记录不全", None, "2023.5.12", datetime(2023, 7, 31), "李四", "补齐记录",
     "已完成一半", None, "整改中", None),
    (3, "农业农村局", "制度建设", "公务用车制度未更新", "严重", "2023-05-15", "2023/6/15", "王五", "修订制度",
     "已印发", "已整改到位", "已销号", "2023年6月30日"),
    (4, "财政局", "作风建设", "  窗口服务态度差  ", None, None, None, None, None, None, "已公开道歉", "已完成",
     datetime(2023, 8, 1)),
    (5,) + (None,) * 12,   # pre-numbered empty row
    (None,) * 13,
    (None,) * 13,
]


def ledger(rows, header=HEADER, title=TITLE) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture()
def world(app, db):
    admin = make_user(Role.ADMIN, username="boss")
    farm, finance = make_unit("农业农村局"), make_unit("财政局")
    checker = make_user(Role.INSPECTOR, username="checker")
    make_group("第一督导组", members=[checker], units=[farm, finance])
    liaison = make_user(Role.UNIT, username="liaison", unit=farm)
    versions = make_forms(admin)
    rounds = [filling.create_round(admin, name=name, code=code, starts_on=date(2023, 1, 1),
                                   ends_on=still_open(date(2023, 12, 31)), self_check_deadline=date(2023, 4, 30),
                                   self_check_version=versions[0], onsite_version=versions[1],
                                   units=[farm, finance])
              for name, code in (("2022年批次", "2022"), ("2023年批次", "2023"))]
    db.session.commit()
    return {"admin": admin, "checker": checker, "liaison": liaison, "farm": farm, "finance": finance,
            "old_round": rounds[0], "round": rounds[1]}


def snapshot(db) -> tuple:
    return (db.session.scalar(select(func.count(Problem.id))),
            db.session.scalar(select(func.count(ProblemEvent.id))),
            db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "ledger_import")),
            tuple(db.session.scalars(select(Round.problem_seq).order_by(Round.id))))


def by_code(db) -> dict[str, Problem]:
    return {p.code: p for p in db.session.scalars(select(Problem))}


def test_an_office_ledger_imports_exactly(db, world, frozen_clock):
    plan = importing.import_ledger(world["admin"], ledger(OFFICE_ROWS), world["round"], "台账.xlsx")
    db.session.commit()
    assert plan.counts == {"待整改": 1, "整改中": 1, "已销号": 2}
    problems = by_code(db)
    assert sorted(problems) == ["2023-001", "2023-002", "2023-003", "2023-004"]
    first, second, third, fourth = (problems[f"2023-00{i}"] for i in range(1, 5))
    assert (first.unit_id, first.round_id, first.category, first.description, first.severity,
            first.source) == \
        (world["farm"].id, world["round"].id, "政治机关", "“三重一大”事项未集体研究", "较重", "import")
    assert (first.found_on, first.deadline, first.status, first.responsible_person, first.measures) == \
        (date(2023, 5, 10), date(2023, 6, 30), "open", "张三", "修订议事规则")
    assert (first.progress, first.result, first.closed_at, first.created_by_id) == \
        ("", "", None, world["admin"].id)
    assert (second.unit_id, second.category, second.severity, second.found_on, second.deadline, second.status,
            second.progress) == (world["finance"].id, "其他", "一般", date(2023, 5, 12), date(2023, 7, 31),
                                 "in_progress", "已完成一半")
    assert (third.found_on, third.deadline, third.status, third.result, third.closed_by_id) == \
        (date(2023, 5, 15), date(2023, 6, 15), "closed", "已整改到位", None)
    assert third.closed_at == datetime(2023, 6, 29, 16, 0, tzinfo=timezone.utc)   # 2023-06-30 00:00 in China
    # no 发现时间: the day of import (or an earlier close date); 已完成 means closed
    assert (fourth.description, fourth.status, fourth.deadline, fourth.found_on) == \
        ("窗口服务态度差", "closed", None, date(2023, 8, 1))
    assert fourth.closed_at == datetime(2023, 7, 31, 16, 0, tzinfo=timezone.utc)
    events = list(db.session.scalars(select(ProblemEvent).order_by(ProblemEvent.id)))
    assert [(e.problem_id, e.action, e.from_status, e.to_status, e.comment, e.changes, e.actor_id)
            for e in events] == [
        (p.id, "import", "", p.status, "从台账导入", {"row": n}, world["admin"].id)
        for p, n in ((first, 3), (second, 4), (third, 5), (fourth, 6))]
    audit = db.session.scalar(select(AuditLog).where(AuditLog.event == "ledger_import"))
    assert audit.details == {"file": "台账.xlsx", "sheet": "台账", "total": 4, "codes_from_file": 0,
                             "codes_allocated": 4, "by_status": {"open": 1, "in_progress": 1, "closed": 2}}
    assert (audit.actor_id, audit.target_id) == (world["admin"].id, world["round"].id)
    assert db.session.get(Round, world["round"].id).problem_seq == 4


def test_numbers_from_the_file_merged_cells_and_a_two_row_header(db, world):
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "责任单位", "问题描述", "整改情况", None, "状态"])
    ws.append([None, None, None, "整改措施", "办毕时限", None])
    ws.append(["NY-01", "农业农村局", "问题甲", "措施甲", "长期坚持", "正在整改"])
    ws.append(["2023-010", None, "问题乙", "措施乙", "2023-09-30", "未整改"])
    ws.append([None, None, "问题丙", None, None, "已整改"])
    ws.append([7, "财政局", "问题丁", None, None, None])
    ws.merge_cells("B3:B5")   # one 责任单位 for three problems
    buf = io.BytesIO()
    wb.save(buf)
    plan = importing.import_ledger(world["admin"], buf.getvalue(), world["round"])
    db.session.commit()
    problems = by_code(db)
    # a file number in the round's pattern moves the sequence past it; 7 is a 序号, not a number
    assert sorted(problems) == ["2023-010", "2023-011", "2023-012", "NY-01"]
    assert [(problems[c].unit.name, problems[c].description, problems[c].status, problems[c].measures)
            for c in ("NY-01", "2023-010", "2023-011", "2023-012")] == [
        ("农业农村局", "问题甲", "in_progress", "措施甲"), ("农业农村局", "问题乙", "open", "措施乙"),
        ("农业农村局", "问题丙", "closed", ""), ("财政局", "问题丁", "open", "")]
    assert problems["NY-01"].deadline is None and problems["2023-010"].deadline == date(2023, 9, 30)
    assert any("长期坚持" in n for n in plan.notices)
    assert "2 行使用表中“编号”列的编号作为问题编号。" in plan.notices
    assert any("（其中 1 行的编号是纯数字，视为序号）" in n and "约从 2023-011 起" in n for n in plan.notices)


def errors_of(data: bytes, rnd) -> list[tuple[int, str, str]]:
    plan = importing.plan_import(data, rnd)
    return [(e.row, e.column, e.message) for e in plan.errors]


GOOD = OFFICE_ROWS[0]


def replace(row, column: str, value):
    row = list(row)
    row[HEADER.index(column)] = value
    return tuple(row)


@pytest.mark.parametrize("rows, row_no, column, message", [
    ([GOOD, replace(GOOD, "发现时间", "2023年13月1日")], 4, "发现时间", "不存在"),
    ([GOOD, replace(GOOD, "整改期限", "6月30日")], 4, "整改期限", "缺少年份"),
    ([GOOD, replace(GOOD, "整改期限", "下周")], 4, "整改期限", "无法识别的日期"),
    ([GOOD, replace(GOOD, "状态", "基本完成")], 4, "状态", "可填：待整改、整改中、待核验、已销号、已撤销"),
    ([GOOD, replace(GOOD, "问题类别", "廉政")], 4, "问题类别", "可填：政治机关、学习型机关"),
    ([GOOD, replace(GOOD, "严重程度", "特别严重")], 4, "严重程度", "可填：一般、较重、严重"),
    ([GOOD, replace(GOOD, "问题描述", None)], 4, "问题描述", "问题描述不能为空"),
    ([GOOD, replace(GOOD, "销号时间", "2023-07-01")], 4, "销号时间", "不应有销号时间"),
    ([GOOD, replace(GOOD, "整改期限", "2023-01-01")], 4, "整改期限", "不能早于发现时间"),
])
def test_a_bad_row_is_reported_and_nothing_is_imported(db, world, rows, row_no, column, message):
    before = snapshot(db)
    errors = errors_of(ledger(rows), world["round"])
    assert len(errors) == 1 and errors[0][:2] == (row_no, column) and message in errors[0][2], errors
    with pytest.raises(importing.ValidationFailed):
        importing.import_ledger(world["admin"], ledger(rows), world["round"])
    db.session.rollback()
    assert snapshot(db) == before


def test_every_unknown_unit_is_listed_with_its_rows(db, world):
    rows = [replace(GOOD, "责任单位", name) for name in ("农业局", "财政局", "农业局", " 区统计局 ", "农业局")]
    errors = errors_of(ledger(rows), world["round"])
    assert [(row, column) for row, column, _ in errors] == [(3, "责任单位"), (6, "责任单位")]
    assert "“农业局”（第 3、5、7 行，共 3 行）" in errors[0][2] and "“区统计局”（第 6 行" in errors[1][2]


def test_numbers_duplicated_in_the_file_or_taken_are_refused(db, world):
    importing.import_ledger(world["admin"], ledger([GOOD]), world["round"])   # takes 2023-001
    db.session.commit()
    before = snapshot(db)
    header = ("编号",) + HEADER[1:]
    rows = [("A-1",) + GOOD[1:], ("A-2",) + GOOD[1:], ("A-1",) + GOOD[1:], ("2023-001",) + GOOD[1:]]
    data = ledger(rows, header=header)
    assert errors_of(data, world["round"]) == [(5, "编号", "编号“A-1”与第 3 行重复"),
                                               (6, "编号", "编号“2023-001”已被系统中的其他问题使用")]
    with pytest.raises(importing.ValidationFailed):
        importing.import_ledger(world["admin"], data, world["round"])
    db.session.rollback()
    assert snapshot(db) == before


@pytest.mark.parametrize("data, message", [
    (ledger([GOOD], header=tuple("问题详情" if h == "问题描述" else h for h in HEADER)), "找不到表头“问题描述”"),
    (b"this is not a workbook", "不是有效的 Excel (.xlsx) 工作簿"),
    (b"PK" + os.urandom(importing.MAX_BYTES), "文件超过 5 MB"),
    (ledger([(None,) * 13]), "表中没有问题数据"),
])
def test_files_that_cannot_be_read(db, world, data, message):
    errors = errors_of(data, world["round"])
    assert len(errors) == 1 and message in errors[0][2], errors


def test_the_row_limit(db, world, monkeypatch):
    monkeypatch.setattr(import_read, "MAX_ROWS", 3)
    assert errors_of(ledger([GOOD] * 3), world["round"]) == []
    assert errors_of(ledger([GOOD] * 4), world["round"]) == [(6, "", "超过 3 行的上限，请分成几个文件导入")]


def test_dates_as_offices_write_them():
    for text in ("2023年6月30日", "2023.6.30", "2023-06-30", "2023/6/30", "２０２３年６月３０日", "20230630",
                 "2023-06-30 00:00:00", datetime(2023, 6, 30, 9, 5), 45107):
        assert parse_date(text) == date(2023, 6, 30), text
    assert parse_date(None) is None and parse_date("  ") is None
    for bad in ("6月30日", "2023年6月", "2023-02-30", "1899-01-01", "明年"):
        with pytest.raises(ValueError):
            parse_date(bad)


def run_cli(app, tmp_path: Path, data: bytes, *args):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=["import-ledger", str(path), *args])


def test_cli_dry_run_then_import(app, db, world, tmp_path):
    before = snapshot(db)
    result = run_cli(app, tmp_path, ledger(OFFICE_ROWS), "--dry-run")
    assert result.exit_code == 0, result.output + result.stderr
    assert "未指定 --round，使用最近的检查批次「2023年批次」" in result.output
    assert "试运行" in result.output and "4 个问题（待整改 1，整改中 1，已销号 2）" in result.output
    assert snapshot(db) == before
    result = run_cli(app, tmp_path, ledger(OFFICE_ROWS), "--round", "2022年批次")
    assert result.exit_code == 0, result.output + result.stderr
    assert "已导入到「2022年批次」：4 个问题" in result.output
    assert sorted(by_code(db)) == ["2022-001", "2022-002", "2022-003", "2022-004"]
    audit = db.session.scalar(select(AuditLog).where(AuditLog.event == "ledger_import"))
    assert (audit.actor_id, audit.actor_username, audit.details["total"]) == (None, "cli", 4)


def test_cli_errors_exit_non_zero_and_change_nothing(app, db, world, tmp_path):
    before = snapshot(db)
    rows = [GOOD, replace(GOOD, "责任单位", "农业局"), replace(GOOD, "状态", "不详")]
    for extra in ((), ("--dry-run",)):
        result = run_cli(app, tmp_path, ledger(rows), *extra)
        assert result.exit_code == 1
        assert "未导入任何数据" in result.stderr
        assert "第 4 行「责任单位」：系统中没有单位“农业局”" in result.stderr
        assert "第 5 行「状态」：状态“不详”无法识别" in result.stderr
    result = run_cli(app, tmp_path, ledger([GOOD]), "--round", "没有这个批次")
    assert result.exit_code != 0 and "检查批次不存在" in result.stderr
    result = run_cli(app, tmp_path, b"PK" + os.urandom(importing.MAX_BYTES))
    assert result.exit_code == 1 and "文件超过 5 MB" in result.stderr
    result = run_cli(app, tmp_path, b"plain text")
    assert result.exit_code == 1 and "不是有效的 Excel" in result.stderr
    assert snapshot(db) == before


def upload(client, data: bytes, round_id, name="台账.xlsx"):
    token = get_csrf(client, "/ledger/import")
    return client.post("/ledger/import", data={"csrf_token": token, "round_id": str(round_id),
                                               "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def import_files(app) -> list[str]:
    """The previewed files kept in the storage (instance/imports, or the bucket)."""
    with app.app_context():
        return sorted(e.key for e in get_storage().list("imports/"))


def test_preview_then_confirm_imports_once(app, client, db, login, world):
    login(world["admin"])
    before, files_before = snapshot(db), import_files(app)
    resp = upload(client, ledger(OFFICE_ROWS), world["round"].id)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "将导入到「2023年批次」共 4 个问题" in html and "已销号 <b>2</b>" in html and "“三重一大”事项未集体研究" in html
    assert "自动编号" in html and snapshot(db) == before
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    assert len(import_files(app)) == len(files_before) + 1
    confirm = {"csrf_token": csrf_from(html), "token": token, "round_id": str(world["round"].id),
               "filename": "台账.xlsx"}
    resp = client.post("/ledger/import/confirm", data=confirm)
    assert resp.status_code == 303 and f"round={world['round'].id}" in resp.headers["Location"]
    assert len(by_code(db)) == 4 and import_files(app) == files_before
    again = client.post("/ledger/import/confirm", data=confirm)
    assert again.status_code == 409 and "已导入或已失效" in again.get_data(as_text=True)
    assert len(by_code(db)) == 4
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "ledger_import")) == 1


def test_the_page_lists_errors_and_refuses_bad_ids(app, client, db, login, world):
    login(world["admin"])
    files_before = import_files(app)
    resp = upload(client, ledger([GOOD, replace(GOOD, "责任单位", "农业局")]), world["round"].id)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "系统中没有单位“农业局”" in html and "确认导入" not in html
    assert upload(client, b"PK\x03\x04", world["round"].id, name="台账.xls").status_code == 400
    resp = upload(client, b"PK" + os.urandom(importing.MAX_BYTES), world["round"].id)
    assert resp.status_code == 422 and "文件超过 5 MB" in resp.get_data(as_text=True)
    assert import_files(app) == files_before
    token = get_csrf(client, "/ledger/import")
    for bad in ("../../secret_key", "0" * 31, "A" * 32):
        resp = client.post("/ledger/import/confirm", data={"csrf_token": token, "token": bad,
                                                          "round_id": str(world["round"].id)})
        assert resp.status_code == 400
    resp = client.post("/ledger/import/confirm", data={"csrf_token": token, "token": "0" * 32,
                                                      "round_id": str(world["round"].id)})
    assert resp.status_code == 409
    assert client.post("/ledger/import", data={"csrf_token": token}).status_code == 400
    assert client.post("/ledger/import/confirm", data={"csrf_token": token}).status_code == 400
    assert snapshot(db)[0] == 0


@pytest.mark.parametrize("who", ["liaison", "checker"])
def test_only_admins_may_import(app, db, world, who):
    client = app.test_client()
    resp = client.get("/ledger/import")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    token = get_csrf(client, "/login")
    for url in ("/ledger/import", "/ledger/import/confirm"):
        resp = client.post(url, data={"csrf_token": token})
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert do_login(client, world[who].username).status_code == 302
    token = get_csrf(client, "/account")
    assert client.get("/ledger/import").status_code == 403
    assert client.post("/ledger/import", data={"csrf_token": token}).status_code == 403
    assert client.post("/ledger/import/confirm", data={"csrf_token": token}).status_code == 403
