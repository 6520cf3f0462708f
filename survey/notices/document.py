"""What a notice says, as named fields: the printable page and the .docx template read the same
fields (FIELDS lists them: a replacement template may use these and no others).

Each field comes from the notice's own row, its facts frozen at issue, or the problem, unit and round
as they are now. The facts read (all optional, set by whoever calls issue_notice): "deadline" (the
整改时限 the step counted from, ISO date), "action_deadline" (办理期限, ISO date; else ACTION_DAYS after
issue), "requirement" (the required action; else REQUIREMENTS[kind]) and "issuer" (发文机关)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app

from survey.models import Notice, Problem, Round, Unit
from survey.models.problem import status_label
from survey.notices.numbering import NOTICE_KINDS

# field -> what it holds (shown on the template page, so office staff know what they may write)
FIELDS: dict[str, str] = {
    "district": "地区名称（配置 DISTRICT_NAME）",
    "issuer": "发文机关",
    "title": "文书名称，如“督办单”",
    "number": "文号，如〔2023〕督办第012号",
    "round_name": "检查批次",
    "unit_name": "被督导单位",
    "problem_code": "问题编号（自查催办通知为空）",
    "problem_description": "问题描述",
    "problem_category": "问题类别",
    "problem_deadline": "整改时限",
    "problem_status": "问题状态",
    "self_check_deadline": "自查截止日期",
    "requirement": "工作要求",
    "action_deadline": "办理期限",
    "body": "正文补充说明",
    "issued_on": "签发日期（中文日期）",
}

# the required action per kind: what the unit must do and by when
REQUIREMENTS = {
    "remind": "请你单位对照整改时限，抓紧落实整改措施，按时完成整改并在系统中报送整改情况。",
    "duban": "该问题已到整改时限，请你单位立即组织整改，并于办理期限前在系统中报送整改完成情况及佐证材料。",
    "warn": "该问题已超过整改时限仍未完成整改，现予以告诫。请你单位主要负责人亲自督办，于办理期限前完成整改并书面说明逾期原因。",
    "report": "现将该问题逾期未整改情况予以通报。请你单位深刻反思，于办理期限前完成整改，并将整改情况书面报告。",
    "selfcheck": "你单位尚未提交本批次自查表，请于办理期限前登录系统完成自查并提交。",
}
ACTION_DAYS = 5   # a notice's 办理期限 when the issuer named none: five days after issue


def chinese_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


@dataclass
class NoticeDocument:
    notice: Notice
    problem: Problem | None
    fields: dict[str, str]

    @property
    def kind(self):
        return NOTICE_KINDS[self.notice.kind]

    @property
    def is_self_check(self) -> bool:
        return self.problem is None


def build_document(notice: Notice, problem: Problem | None, unit: Unit, rnd: Round) -> NoticeDocument:
    facts = notice.facts or {}
    district = current_app.config.get("DISTRICT_NAME", "")
    action = facts.get("action_deadline") or chinese_date(notice.issued_on + timedelta(days=ACTION_DAYS))
    deadline = facts.get("deadline") or (problem.deadline.isoformat() if problem and problem.deadline else "")
    fields = {
        "district": district,
        "issuer": facts.get("issuer") or f"{district}廉洁机关建设督导办公室",
        "title": notice.title or NOTICE_KINDS[notice.kind].title,
        "number": notice.number,
        "round_name": rnd.name,
        "unit_name": unit.name,
        "problem_code": problem.code if problem else "",
        "problem_description": problem.description if problem else "",
        "problem_category": problem.category if problem else "",
        "problem_deadline": _as_chinese(deadline),
        "problem_status": status_label(problem.status) if problem else "",
        "self_check_deadline": chinese_date(rnd.self_check_deadline),
        "requirement": facts.get("requirement") or REQUIREMENTS.get(notice.kind, ""),
        "action_deadline": _as_chinese(action),
        "body": notice.body or "",
        "issued_on": chinese_date(notice.issued_on),
    }
    return NoticeDocument(notice, problem, {k: str(v) for k, v in fields.items()})


def _as_chinese(value) -> str:
    """An ISO date (from facts or a column) as 2026年10月8日; any other text as it is."""
    if isinstance(value, date):
        return chinese_date(value)
    try:
        return chinese_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")
