"""Numbered notices (issue 14): the printable page, the .docx (contract: a valid Word document whose
text holds the number), the problem page's links, who may see them, the list, the templates an
administrator replaces (checked, stored, audited, reverted), and the dashboard's counts."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from docx import Document
from sqlalchemy import select

from survey.filling.problems import create_problems
from survey.models import AuditLog, Role
from survey.notices import docx as notice_docx
from survey.notices.make_templates import build
from survey.notices.numbering import NOTICE_KINDS, issue_notice
from survey.storage import get_storage
from tests.conftest import UserClient, csrf_from
from tests.factories import make_group, make_ledger_world, make_unit, make_user


@pytest.fixture()
def world(app, db):
    w = make_ledger_world(db)
    [problem] = create_problems(w["submission"], [{"description": "三重一大决策记录缺失", "category": "其他",
                                                    "deadline": "2023-07-01"}], w["admin"], date(2023, 5, 1))
    w["problem"] = problem
    w["duban"] = issue_notice(w["round"], "duban", w["unit"].id, problem_id=problem.id, on=date(2023, 7, 1))
    w["warn"] = issue_notice(w["round"], "warn", w["unit"].id, problem_id=problem.id, on=date(2023, 7, 8),
                             body="请于三日内书面说明逾期原因。")
    w["selfcheck"] = issue_notice(w["round"], "selfcheck", w["unit"].id, on=date(2023, 5, 2))
    for key in ("duban", "warn", "selfcheck"):   # as the scan would have issued them, on those days
        day = w[key].issued_on
        w[key].issued_at = datetime(day.year, day.month, day.day, 1, tzinfo=timezone.utc)
    db.session.commit()
    return w


@pytest.fixture(autouse=True)
def shipped_templates(app):
    """Uploaded templates live in storage, which outlives a test's database: start and end without any."""
    def clean():
        with app.app_context():
            for kind in NOTICE_KINDS:
                get_storage().delete(notice_docx.custom_key(kind))
    clean()
    yield
    clean()


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_docx_is_a_word_document_holding_the_number(client, world, login):
    login(world["users"]["unit"])
    resp = client.get(f"/notices/{world['duban'].id}/docx")
    assert resp.status_code == 200
    assert resp.mimetype == notice_docx.DOCX_MIMETYPE
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]   # the Chinese name, encoded
    text = docx_text(resp.get_data())
    assert "〔2023〕督办第001号" in text
    assert "三重一大决策记录缺失" in text and "农业农村局" in text and "2023年7月1日" in text
    assert "{{" not in text


def test_the_print_page_shows_the_red_head_number_problem_and_deadline(client, world, login, app):
    login(world["users"]["checker"])
    html = client.get(f"/notices/{world['warn'].id}").get_data(as_text=True)
    assert app.config["DISTRICT_NAME"] in html
    assert "〔2023〕告诫第001号" in html and "告诫书" in html
    assert world["problem"].code in html and "三重一大决策记录缺失" in html and "2023年7月1日" in html
    assert "请于三日内书面说明逾期原因。" in html and "2023年7月8日" in html   # body and issuing date
    assert "办理期限" in html and "2023年7月13日" in html                  # five days after issue
    assert "（盖章）" in html


def test_a_self_check_notice_prints_the_self_check_deadline(client, world, login):
    login(world["users"]["unit"])
    html = client.get(f"/notices/{world['selfcheck'].id}").get_data(as_text=True)
    assert "〔2023〕催办第001号" in html and "2023年4月30日" in html and "问题编号" not in html
    assert "〔2023〕催办第001号" in docx_text(client.get(f"/notices/{world['selfcheck'].id}/docx").get_data())


def test_the_problem_page_links_each_notice_printable_and_docx(client, world, login):
    login(world["users"]["unit"])
    html = client.get(f"/ledger/{world['problem'].id}").get_data(as_text=True)
    for notice in (world["duban"], world["warn"]):
        assert notice.number in html
        assert f'href="/notices/{notice.id}"' in html and f'href="/notices/{notice.id}/docx"' in html
    assert f"/notices/{world['selfcheck'].id}" not in html


def test_another_units_liaison_and_group_get_404(app, world):
    for who in ("other_unit", "other_inspector"):
        client = UserClient(app, world["users"][who]).client
        for notice in ("duban", "selfcheck"):
            for suffix in ("", "/docx"):
                assert client.get(f"/notices/{world[notice].id}{suffix}").status_code == 404, (who, notice)


def test_the_list_filters_and_covers(app, world, db):
    other = issue_notice(world["round"], "duban", make_unit("外区单位").id, on=date(2023, 7, 2))
    checker2 = make_user(Role.INSPECTOR, username="checker2")
    make_group("第三组", members=[checker2], units=[other.unit])
    db.session.commit()
    client = UserClient(app, world["users"]["checker"]).client
    html = client.get("/notices").get_data(as_text=True)
    assert "〔2023〕督办第001号" in html and "〔2023〕催办第001号" in html and "〔2023〕督办第002号" not in html
    client = UserClient(app, world["admin"]).client
    assert "〔2023〕督办第002号" in client.get("/notices").get_data(as_text=True)
    html = client.get("/notices?kind=warn").get_data(as_text=True)
    assert "〔2023〕告诫第001号" in html and "〔2023〕督办第001号" not in html
    html = client.get(f"/notices?unit={other.unit_id}&round={world['round'].id}").get_data(as_text=True)
    assert "〔2023〕督办第002号" in html and "〔2023〕告诫第001号" not in html
    assert f'href="/notices/{other.id}/docx"' in html
    assert client.get("/notices?kind=nonsense").status_code == 404
    assert UserClient(app, world["users"]["unit"]).client.get("/notices").status_code == 403


def _upload(client, data: bytes, kind: str = "duban", name: str = "我的督办单.docx"):
    token = csrf_from(client.get("/admin/notice-templates").get_data(as_text=True))
    return client.post("/admin/notice-templates", data={"csrf_token": token, "kind": kind,
                                                        "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _template_with(text: str) -> bytes:
    doc = Document(io.BytesIO(build("duban")))
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_an_invalid_template_is_refused_and_nothing_stored(client, world, login, db):
    login(world["admin"])
    resp = _upload(client, b"not a word file at all")
    assert resp.status_code == 422 and "不是有效的 Word 文档" in resp.get_data(as_text=True)
    zipped = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "不是有效的 Word 文档" in _upload(client, zipped.getvalue()).get_data(as_text=True)
    resp = _upload(client, _template_with("{{ secret_salary }} 与 {{ number }}"))
    assert resp.status_code == 422 and "secret_salary" in resp.get_data(as_text=True)
    resp = _upload(client, _template_with("{{ number "))
    assert resp.status_code == 422 and "字段写法有误" in resp.get_data(as_text=True)
    resp = _upload(client, _template_with("{{ ''.__class__.__mro__ }}"))   # the sandbox refuses it
    assert resp.status_code == 422
    assert not notice_docx.has_custom("duban")
    assert db.session.scalar(select(AuditLog).where(AuditLog.event == "notice_template_upload")) is None


def test_a_replacement_template_is_used_audited_and_reverted(client, world, login, db):
    login(world["admin"])
    resp = _upload(client, _template_with("本区自定义红头：{{ number }} {{ unit_name }}"))
    assert resp.status_code == 303
    assert notice_docx.has_custom("duban")
    text = docx_text(client.get(f"/notices/{world['duban'].id}/docx").get_data())
    assert "本区自定义红头：〔2023〕督办第001号 农业农村局" in text
    assert "本区自定义红头" not in docx_text(client.get(f"/notices/{world['warn'].id}/docx").get_data())
    row = db.session.scalar(select(AuditLog).where(AuditLog.event == "notice_template_upload"))
    assert row.details["kind"] == "duban" and row.actor_id == world["admin"].id
    assert "已替换" in client.get("/admin/notice-templates").get_data(as_text=True)
    got = client.get("/admin/notice-templates/duban.docx")
    assert "本区自定义红头" in docx_text(got.get_data())
    token = csrf_from(client.get("/admin/notice-templates").get_data(as_text=True))
    assert client.post("/admin/notice-templates/duban/revert", data={"csrf_token": token}).status_code == 303
    assert not notice_docx.has_custom("duban")
    assert "本区自定义红头" not in docx_text(client.get(f"/notices/{world['duban'].id}/docx").get_data())
    assert db.session.scalar(select(AuditLog).where(AuditLog.event == "notice_template_revert")) is not None


def test_every_shipped_template_passes_its_own_check_and_has_a_red_head():
    for kind in NOTICE_KINDS:
        data = notice_docx.shipped_bytes(kind)
        notice_docx.check_template(data)
        doc = Document(io.BytesIO(data))
        head = doc.paragraphs[0]
        assert head.text == "{{ issuer }}" and str(head.runs[0].font.color.rgb) == "C00000"
        assert "w:pBdr" in doc.paragraphs[1]._p.xml   # the red rule under the number


def test_the_dashboard_counts_notices_by_step_unit_and_closed_after(client, world, login, db):
    problem = world["problem"]
    problem.status, problem.closed_at = "closed", datetime(2023, 7, 5, 2, tzinfo=timezone.utc)  # after 督办, before 告诫
    db.session.commit()
    login(world["admin"])
    html = client.get(f"/dashboard?round={world['round'].id}").get_data(as_text=True)
    assert 'id="h-notices"' in html
    from survey.dashboard.queries import compute_dashboard
    from survey.clock import today
    figures = compute_dashboard(world["admin"], world["round"], today(), 7)
    counts = figures.notices
    assert counts.by_kind == {"duban": 1, "warn": 1, "selfcheck": 1}
    assert counts.closed_after == {"duban": 1, "warn": 0}
    assert counts.by_unit[0][1:] == ("农业农村局", 3)
    from survey.models import User
    other = db.session.get(User, world["users"]["other_inspector"].id)
    assert compute_dashboard(other, world["round"], today(), 7).notices.total == 0


def test_a_new_notice_changes_the_dashboard_version(world, db):
    from survey.dashboard.cache import data_version
    before = data_version()
    issue_notice(world["round"], "remind", world["unit"].id, problem_id=world["problem"].id)
    db.session.commit()
    assert data_version() != before


def test_markup_in_a_problem_stays_text_in_the_docx(client, world, login, db):
    world["problem"].description = "会议纪要<w:p>缺失 & {{ number }} {% if 1 %}x{% endif %}"
    db.session.commit()
    login(world["admin"])
    text = docx_text(client.get(f"/notices/{world['duban'].id}/docx").get_data())
    assert "会议纪要<w:p>缺失 & {{ number }} {% if 1 %}x{% endif %}" in text
