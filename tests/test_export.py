"""The ledger export (问题台账.xlsx), read back with openpyxl cell by cell: layout, values, real dates,
Chinese statuses, warning fills, the summaries counted independently here, 流转记录, formula
injection, rights, the command line, a round's raw answers, and LibreOffice opening the file."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import uuid
import zipfile
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey.models import AuditLog, Problem, ProblemEvent, Role, Submission
from tests.conftest import do_login
from tests.factories import make_ledger_world, make_user

UTC = timezone.utc
HEADERS = ["序号", "编号", "责任单位", "问题类别", "问题描述", "发现方式", "发现时间", "严重程度", "整改时限",
           "责任人", "整改措施", "整改进展", "完成情况", "状态", "销号时间", "销号人", "预警", "逾期天数"]
STATUS = {"open": "待整改", "in_progress": "整改中", "pending_review": "待核验", "closed": "已销号",
          "cancelled": "已撤销"}
SOURCE = {"self_check": "自查", "visit": "上门问诊", "daily": "日常监督", "import": "导入"}
RED, YELLOW = "FFFFC7CE", "FFFFEB9C"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "示范区廉洁机关建设问题整改台账"


@pytest.fixture()
def world(app, db, frozen_clock):
    """frozen_clock: 2026-03-02 09:00 UTC, 17:00 in China; today is 2026-03-02."""
    w = make_ledger_world(db)
    w["other"] = w["users"]["other_unit"].unit
    checker = w["users"]["checker"]
    w["p"] = {
        "overdue": add(db, w, w["unit"], "2023-001", deadline=date(2026, 2, 20), description="会议记录不全"),
        "near": add(db, w, w["unit"], "2023-002", status="in_progress", deadline=date(2026, 3, 5),
                    category="制度建设", measures="修订制度", responsible_person="王五", progress="已起草"),
        "green": add(db, w, w["unit"], "2023-003", deadline=date(2026, 6, 30), source="self_check",
                     severity="较重"),
        "closed": add(db, w, w["unit"], "2023-004", status="closed", deadline=date(2026, 2, 1),
                      result="已整改到位", closed_at=datetime(2026, 2, 28, 20, 0, tzinfo=UTC),
                      closed_by_id=checker.id),
        "cancelled": add(db, w, w["unit"], "2023-005", status="cancelled", deadline=None, category="制度建设"),
        "other1": add(db, w, w["other"], "2023-006", description="财政局的秘密问题", deadline=date(2026, 1, 1)),
        "other2": add(db, w, w["other"], "2023-007", status="closed", description="财政局已销号问题",
                      closed_at=datetime(2026, 2, 1, 1, 0, tzinfo=UTC), closed_by_id=w["admin"].id),
    }
    event(db, w["p"]["closed"], checker, "verify", "pending_review", "closed", "佐证齐全，同意销号",
          datetime(2026, 2, 28, 20, 0, tzinfo=UTC))
    db.session.commit()
    return w


def add(db, w, unit, code, **kw) -> Problem:
    problem = Problem(code=code, round_id=w["round"].id, unit_id=unit.id, category=kw.pop("category", "政治机关"),
                      description=kw.pop("description", f"问题{code}"), source=kw.pop("source", "visit"),
                      found_on=kw.pop("found_on", date(2026, 1, 10)), severity=kw.pop("severity", "一般"),
                      deadline=kw.pop("deadline", date(2026, 6, 30)), status=kw.pop("status", "open"), created_by_id=w["admin"].id, **kw)
    db.session.add(problem)
    db.session.flush()
    event(db, problem, w["admin"], "create", "", "open", "", datetime(2026, 1, 10, 2, 30, tzinfo=UTC))
    return problem


def event(db, problem, actor, action, before, after, comment, at):
    db.session.add(ProblemEvent(problem_id=problem.id, actor_id=actor.id, action=action, from_status=before,
                                to_status=after, comment=comment, created_at=at))


def export(client, query: str = ""):
    resp = client.get("/ledger/export.xlsx" + query)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == XLSX
    return resp, load_workbook(io.BytesIO(resp.data))


def data_rows(ws, first: int = 4) -> list[tuple]:
    return [r for r in ws.iter_rows(min_row=first, values_only=True)]


def expected_row(n: int, p: Problem, today=date(2026, 3, 2)) -> tuple:
    """Written out here, independently of survey.export.rows."""
    done = p.status in ("closed", "cancelled")
    warn = "" if done or p.deadline is None else (
        "逾期" if p.deadline < today else "临期" if (p.deadline - today).days <= 7 else "正常")
    closed_on = (p.closed_at.astimezone(UTC) + timedelta(hours=8)).date() if p.closed_at else None
    as_dt = lambda d: datetime(d.year, d.month, d.day) if d else None  # noqa: E731
    return (n, p.code, p.unit.name, p.category, p.description, SOURCE[p.source], as_dt(p.found_on), p.severity,
            as_dt(p.deadline), p.responsible_person or None, p.measures or None, p.progress or None,
            p.result or None, STATUS[p.status], as_dt(closed_on),
            p.closed_by.display_name if p.closed_by else None, warn or None,
            (today - p.deadline).days if warn == "逾期" else None)


def test_admin_export_reads_back_cell_by_cell(client, db, login, world):
    login(world["admin"])
    resp, wb = export(client)
    assert "filename*=UTF-8''" + quote("问题台账_20260302.xlsx") in resp.headers["Content-Disposition"]
    assert resp.headers["Cache-Control"] == "no-store"
    assert wb.sheetnames == ["问题台账", "按单位汇总", "按类别汇总", "流转记录"]
    ws = wb["问题台账"]
    assert ws["A1"].value == TITLE and "A1:R1" in {str(m) for m in ws.merged_cells.ranges}
    assert ws["A2"].value.startswith("导出时间：2026-03-02 17:00　导出人：测试用户　筛选条件：全部")
    assert [c.value for c in ws[3]] == HEADERS
    problems = sorted(db.session.scalars(select(Problem)), key=lambda p: p.code, reverse=True)
    assert data_rows(ws) == [expected_row(n, p) for n, p in enumerate(problems, 1)]
    by_code = {row[1].value: row for row in ws.iter_rows(min_row=4)}
    assert {c.fill.fgColor.rgb for c in by_code["2023-001"]} == {RED}       # overdue
    assert {c.fill.fgColor.rgb for c in by_code["2023-006"]} == {RED}
    assert {c.fill.fgColor.rgb for c in by_code["2023-002"]} == {YELLOW}    # due in 3 days
    for code in ("2023-003", "2023-004", "2023-005", "2023-007"):
        assert {c.fill.fill_type for c in by_code[code]} == {None}, code
    assert by_code["2023-001"][6].is_date and by_code["2023-001"][6].number_format == "yyyy-mm-dd"
    assert by_code["2023-001"][0].data_type == "n" and by_code["2023-001"][17].value == 10
    assert by_code["2023-001"][4].alignment.wrap_text
    assert ws.freeze_panes == "C4" and ws.auto_filter.ref == f"A3:R{3 + len(problems)}"
    assert ws.column_dimensions["E"].width >= 40 and ws.column_dimensions["C"].width >= 12
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1, "1")  # 1 is the default
    assert ws.page_setup.fitToHeight in (0, "0") and ws.print_title_rows == "$3:$3"


def test_summaries_match_counts_made_here(client, db, login, world):
    login(world["admin"])
    _, wb = export(client)
    problems = list(db.session.scalars(select(Problem)))
    today = date(2026, 3, 2)

    def figures(group):
        by = Counter(p.status for p in group)
        overdue = sum(1 for p in group if p.status in ("open", "in_progress", "pending_review")
                      and p.deadline and p.deadline < today)
        near = sum(1 for p in group if p.status in ("open", "in_progress", "pending_review")
                   and p.deadline and 0 <= (p.deadline - today).days <= 7)
        counted = len(group) - by["cancelled"]
        return [len(group), by["open"], by["in_progress"], by["pending_review"], by["closed"], by["cancelled"],
                overdue, near, by["closed"] / counted if counted else None]

    units = data_rows(wb["按单位汇总"], 3)
    assert [c.value for c in wb["按单位汇总"][2]] == ["序号", "责任单位", "问题总数", "待整改", "整改中", "待核验",
                                                  "已销号", "已撤销", "逾期", "临期", "整改率"]
    assert units[0][:2] == (1, "农业农村局") and units[1][:2] == (2, "财政局")   # most problems first
    for row in units[:-1]:
        assert list(row[2:]) == pytest.approx(figures([p for p in problems if p.unit.name == row[1]])), row[1]
    assert units[-1][1] == "合计" and list(units[-1][2:]) == pytest.approx(figures(problems))
    assert units[0][-1] == pytest.approx(1 / 4) and wb["按单位汇总"]["K3"].number_format == "0.0%"
    cats = data_rows(wb["按类别汇总"], 3)
    assert [r[1] for r in cats] == ["政治机关", "制度建设", "合计"]  # the administrators' order
    for row in cats[:-1]:
        assert list(row[2:]) == pytest.approx(figures([p for p in problems if p.category == row[1]]))
    with zipfile.ZipFile(io.BytesIO(client.get("/ledger/export.xlsx").data)) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and "按类别汇总!$B$3:$B$4" in chart and "$C$3:$C$4" in chart


def test_history_sheet_has_every_event_of_the_exported_problems(client, db, login, world):
    login(world["users"]["unit"])
    _, wb = export(client)
    ws = wb["流转记录"]
    assert [c.value for c in ws[2]] == ["编号", "时间", "操作", "操作人", "原状态", "新状态", "说明"]
    rows = data_rows(ws, 3)
    own = sorted((p for p in db.session.scalars(select(Problem)) if p.unit_id == world["unit"].id),
                 key=lambda p: p.code, reverse=True)
    assert [r[0] for r in rows] == [e_code for p in own for e_code in [p.code] * len(p.events)]
    verify = next(r for r in rows if r[2] == "核验销号")
    assert verify == ("2023-004", datetime(2026, 3, 1, 4, 0), "核验销号", "测试用户", "待核验", "已销号",
                      "佐证齐全，同意销号")
    assert rows[-1] == ("2023-001", datetime(2026, 1, 10, 10, 30), "登记问题", "测试用户", None, "待整改", None)


NASTY = {
    "description": "=HYPERLINK(\"http://evil.example/\",\"点击查看\")",
    "measures": "+1+1", "progress": "-2+3", "result": "@SUM(A1:A2)", "responsible_person": "\t=1+1",
    "category": "\r=1+1",
}
MORE_NASTY = ["  =1+1", "\u00a0=1+1", "\u3000=1+1", "＝1+1", "＋1", "－1", "＠SUM(1)",
              "<r><t>x</t></r></is></c><c r=\"Z9\"><f>1+1</f></c><c t=\"inlineStr\"><is><r><t>y</t></r>",
              "Word粘贴\x01\x02内容\x0b第二行\x0c第三行\x1f", "普通文字", "-", "="]


def test_formula_injection_is_written_as_text(client, db, login, world):
    p = world["p"]["green"]
    for field, value in NASTY.items():
        setattr(p, field, value)
    for n, text in enumerate(MORE_NASTY, 10):
        add(db, world, world["unit"], f"2023-{n:03d}", deadline=date(2026, 6, 30), description=text)
    db.session.commit()
    login(world["admin"])
    resp, wb = export(client)
    ws = wb["问题台账"]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    with zipfile.ZipFile(io.BytesIO(resp.data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode(), name
    by_code = {row[1].value: row for row in ws.iter_rows(min_row=4)}
    green = by_code["2023-003"]
    for col, field in ((4, "description"), (10, "measures"), (11, "progress"), (12, "result"),
                       (9, "responsible_person"), (3, "category")):
        cell = green[col]
        expected = NASTY[field].replace("\r", "\n")
        assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", expected, True), field
    described = {row[4].value: row[4] for row in ws.iter_rows(min_row=4)}
    for text in MORE_NASTY[:7] + MORE_NASTY[10:]:
        assert described[text].data_type == "s" and described[text].quotePrefix == (text not in ("普通文字",)), text
    assert MORE_NASTY[7] in described and described[MORE_NASTY[7]].data_type == "s"   # markup stays text
    assert "Word粘贴内容\n第二行\n第三行" in described
    assert ws["Z9"].value is None
    assert green[0].data_type == "n" and isinstance(green[0].value, int)   # numbers stay numbers
    assert by_code["2023-001"][17].data_type == "n"


def test_liaison_gets_only_the_units_rows_whatever_the_url_says(client, db, login, world):
    login(world["users"]["unit"])
    _, wb = export(client, f"?unit={world['other'].id}")
    assert data_rows(wb["问题台账"]) == []
    assert "财政局" not in dump(wb)    # not even the unit's name in the filter line
    _, wb = export(client, f"?unit={world['other'].id}&round={world['round'].id}&sort=code")
    assert data_rows(wb["问题台账"]) == []
    _, wb = export(client)
    assert [r[1] for r in data_rows(wb["问题台账"])] == ["2023-005", "2023-004", "2023-003", "2023-002", "2023-001"]
    assert "财政局" not in dump(wb) and "秘密" not in dump(wb)


def test_inspector_gets_only_the_covered_units(client, db, login, world):
    login(world["users"]["other_inspector"])
    _, wb = export(client)
    assert [r[2] for r in data_rows(wb["问题台账"])] == ["财政局", "财政局"]
    assert "农业农村局" not in dump(wb) and "会议记录不全" not in dump(wb)


def test_filters_of_the_ledger_page_are_honoured(client, db, login, world):
    login(world["admin"])
    page = client.get(f"/ledger?status=open&warn=overdue&unit={world['unit'].id}").get_data(as_text=True)
    link = re.search(r'href="(/ledger/export\.xlsx\?[^"]+)"', page).group(1).replace("&amp;", "&")
    _, wb = export(client, link[len("/ledger/export.xlsx"):])
    assert [r[1] for r in data_rows(wb["问题台账"])] == ["2023-001"]
    assert "筛选条件：责任单位 农业农村局；状态 待整改；预警 逾期" in wb["问题台账"]["A2"].value
    _, wb = export(client, f"?round={world['round'].id}&q=秘密")
    assert wb["问题台账"]["A1"].value == TITLE + "（2023年批次）"
    assert [r[1] for r in data_rows(wb["问题台账"])] == ["2023-006"]
    assert [r[0] for r in data_rows(wb["流转记录"], 3)] == ["2023-006"]


def test_each_export_is_audited(client, db, login, world):
    login(world["users"]["checker"])
    export(client, "?status=open")
    rows = list(db.session.scalars(select(AuditLog).where(AuditLog.event == "export")))
    assert len(rows) == 1
    assert rows[0].actor_username == "checker" and rows[0].details["filters"] == {"status": "open"}
    assert rows[0].details["rows"] == 2 and rows[0].event_label == "导出Excel"


def test_an_empty_ledger_exports_too(client, db, login, world):
    login(world["admin"])
    _, wb = export(client, "?q=没有这样的问题")
    assert data_rows(wb["问题台账"]) == [] and data_rows(wb["按单位汇总"], 3)[0][1] == "合计"


def dump(wb) -> str:
    return "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None)


# --- the command line ---------------------------------------------------------------------------

def test_cli_exports_every_unit(app, db, world, tmp_path):
    out = tmp_path / "台账.xlsx"
    result = app.test_cli_runner().invoke(args=["export-ledger", "--out", str(out), "--round", "2023年批次"])
    assert result.exit_code == 0, result.output
    assert "已导出 7 个问题" in result.output
    wb = load_workbook(out)
    assert wb["问题台账"]["A1"].value == TITLE + "（2023年批次）"
    assert len(data_rows(wb["问题台账"])) == 7 and "命令行" in wb["问题台账"]["A2"].value
    assert not list(tmp_path.glob("*.part"))
    audit = db.session.scalar(select(AuditLog).where(AuditLog.event == "export"))
    assert audit.actor_username == "cli" and audit.ip == "cli"
    bad = app.test_cli_runner().invoke(args=["export-ledger", "--out", str(out), "--round", "没有的批次"])
    assert bad.exit_code != 0 and "检查批次不存在：没有的批次" in bad.output
    missing = app.test_cli_runner().invoke(args=["export-ledger", "--out", str(tmp_path / "no" / "x.xlsx")])
    assert missing.exit_code != 0 and "目录不存在" in missing.output


def test_the_export_imports_back(app, db, world):
    """Offices re-import what they exported: the importer finds every column of the export."""
    from survey.export import ledger
    from survey.ledger import import_read
    from survey.ledger.queries import LedgerFilter

    out = io.BytesIO()
    with app.test_request_context():
        ledger.write_ledger(out, ledger.LedgerSpec.current(None, LedgerFilter()))
    sheet = import_read.read_ledger(out.getvalue(), 10 * 1024 * 1024)
    assert not sheet.errors and sheet.header_row == 3 and len(sheet.rows) == 7
    assert set(sheet.headers) >= {"code", "unit", "description", "category", "source", "found_on", "severity",
                                  "deadline", "responsible_person", "measures", "progress", "result", "status",
                                  "closed_at"}


# --- a round's raw answers ----------------------------------------------------------------------

@pytest.fixture()
def answered(db, world):
    """The round's self-check gets typed questions; both units submit it."""
    from survey.questionnaires import editing
    from survey.questionnaires import operations as qops

    admin = world["admin"]
    v = qops.create_questionnaire(admin, "类型齐全的自查表", "self_check")
    section = v.sections[0]
    for values, choices in (({"name": "c1", "type": "check", "label": "是否传达学习"}, ""),
                            ({"name": "n1", "type": "integer", "label": "学习次数"}, ""),
                            ({"name": "d1", "type": "date", "label": "最近一次学习"}, ""),
                            ({"name": "m1", "type": "multiple", "label": "学习形式"}, "a=集中学习\nb=专题研讨\nc=自学"),
                            ({"name": "t1", "type": "textarea", "label": "其他情况"}, "")):
        editing.save_question(section, None, values, choices)
    qops.publish_version(admin, v)
    world["round"].self_check_version_id = v.id
    answers = {"c1": "no", "n1": 12, "d1": "2026-02-01", "m1": ["a", "c"], "t1": "=1+1 不应成为公式"}
    own = world["submission"]
    own.version_id, own.state, own.answers, own.submitted_by_id = v.id, "submitted", dict(answers), admin.id
    own.submitted_at = datetime(2026, 2, 10, 1, 0, tzinfo=UTC)
    db.session.add(Submission(round_id=world["round"].id, unit_id=world["other"].id, kind="self_check",
                              version_id=v.id, state="submitted", answers=dict(answers), submitted_by_id=admin.id,
                              submitted_at=datetime(2026, 2, 11, 1, 0, tzinfo=UTC)))
    inspector = world["users"]["other_inspector"]
    db.session.add(Submission(round_id=world["round"].id, unit_id=world["other"].id, kind="visit",
                              version_id=world["round"].onsite_version_id, state="submitted", answers={"q1": "no"},
                              facts={"visit_date": "2026-02-20", "place": "财政局三楼会议室",
                                     "member_ids": [inspector.id], "attendees": "局长、办公室主任"},
                              submitted_by_id=inspector.id, submitted_at=datetime(2026, 2, 20, 8, 0, tzinfo=UTC)))
    db.session.commit()
    return world


def test_round_answers_export_one_row_per_submission(client, db, login, answered):
    login(answered["admin"])
    page = client.get(f"/rounds/{answered['round'].id}").get_data(as_text=True)
    for kind in ("self_check", "visit"):
        assert f"/rounds/{answered['round'].id}/answers.xlsx?kind={kind}" in page
    resp = client.get(f"/rounds/{answered['round'].id}/answers.xlsx?kind=self_check")
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert "filename*=UTF-8''" + quote("2023年批次_单位自查表_20260302.xlsx") in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value == "2023年批次·单位自查表答卷汇总"
    assert [c.value for c in ws[3]] == ["序号", "单位", "提交时间", "提交人", "是否传达学习", "学习次数", "最近一次学习",
                                        "学习形式", "其他情况"]
    assert [c.value for c in ws[4]] == ["seq", "unit", "submitted_at", "submitted_by", "c1", "n1", "d1", "m1", "t1"]
    rows = data_rows(ws, 5)
    assert [r[1] for r in rows] == ["农业农村局", "财政局"]
    assert rows[0] == (1, "农业农村局", datetime(2026, 2, 10, 9, 0), "测试用户", "否", 12, datetime(2026, 2, 1),
                       "集中学习、自学", "=1+1 不应成为公式")
    assert ws["F5"].data_type == "n" and ws["I5"].data_type == "s" and ws["I5"].quotePrefix
    assert ws.freeze_panes == "C5"


def test_round_answers_rights_and_bad_kind(app, client, db, login, answered):
    url = f"/rounds/{answered['round'].id}/answers.xlsx"
    login(answered["users"]["other_inspector"])
    ws = load_workbook(io.BytesIO(client.get(url + "?kind=self_check").data)).active
    assert [r[1] for r in data_rows(ws, 5)] == ["财政局"]
    resp = client.get(url + "?kind=visit")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[4]] == ["seq", "unit", "submitted_at", "submitted_by", "visit_date", "place",
                                        "members", "attendees", "q1"]
    assert data_rows(ws, 5) == [(1, "财政局", datetime(2026, 2, 20, 16, 0), "测试用户", datetime(2026, 2, 20),
                                 "财政局三楼会议室", "测试用户", "局长、办公室主任", "否")]
    bad = client.get(url + "?kind=evil")
    assert bad.status_code == 400 and "导出类型无效" in bad.get_data(as_text=True)
    assert client.get("/rounds/999999/answers.xlsx").status_code == 404
    lonely = app.test_client()
    make_user(Role.INSPECTOR, username="lonely")
    assert do_login(lonely, "lonely").status_code == 302
    assert lonely.get(url).status_code == 403   # an inspector whose groups visit nobody in the round


# --- LibreOffice ---------------------------------------------------------------------------------

def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    from pypdf import PdfReader
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)


@pytest.mark.sqlite_only  # the file does not depend on the engine; one conversion per run is enough
def test_libreoffice_opens_the_export_and_prints_the_title(client, db, login, world, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice Calc is required in CI (make system-deps installs it)")
        pytest.skip("LibreOffice is not installed (make test installs it)")
    world["p"]["green"].description = "=HYPERLINK(\"http://evil.example/\",\"x\")"
    db.session.commit()
    login(world["admin"])
    resp, _ = export(client)
    src = tmp_path / "问题台账.xlsx"
    src.write_bytes(resp.data)
    profile = tmp_path / f"lo-{uuid.uuid4().hex}"
    result = subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                            capture_output=True, text=True, timeout=240)
    pdf = tmp_path / "问题台账.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stdout + result.stderr
    text = pdf_text(pdf)
    squeezed = re.sub(r"\s+", "", text)
    assert TITLE in squeezed and "会议记录不全" in squeezed and "按单位汇总" in squeezed
    assert "HYPERLINK" in squeezed   # shown as text, not run
