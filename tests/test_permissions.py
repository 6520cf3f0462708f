"""The route × role matrix: every route, every role, anonymous included."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from survey import clock
from survey.models import Role
from tests.conftest import csrf_from, do_login
from tests.factories import make_group, make_unit, make_user

ROLES = ("anonymous", "unit", "inspector", "admin")
LOGIN = "login"  # a redirect to the login page
HOME = "home"    # a redirect to the home page

# (method, rule) -> expected outcome for anonymous, liaison, inspector, admin.
MATRIX: dict[tuple[str, str], tuple] = {
    ("GET", "/healthz"): (200, 200, 200, 200),
    ("GET", "/static/<path:filename>"): (200, 200, 200, 200),
    ("GET", "/login"): (200, HOME, HOME, HOME),
    ("POST", "/login"): (400, 400, 400, 400),
    ("POST", "/logout"): (LOGIN, LOGIN, LOGIN, LOGIN),
    ("GET", "/"): (LOGIN, 200, 200, 200),
    ("GET", "/account"): (LOGIN, 200, 200, 200),
    ("GET", "/account/password"): (LOGIN, 200, 200, 200),
    ("POST", "/account/password"): (LOGIN, 400, 400, 400),
    ("GET", "/admin/units"): (LOGIN, 403, 403, 200),
    ("GET", "/admin/units/new"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/units/new"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/units/<int:unit_id>"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/units/<int:unit_id>"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/units/import"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/units/import"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/units/import-template.xlsx"): (LOGIN, 403, 403, 200),
    ("GET", "/admin/groups"): (LOGIN, 403, 403, 200),
    ("GET", "/admin/groups/new"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/groups/new"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/groups/<int:group_id>"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/groups/<int:group_id>"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/users"): (LOGIN, 403, 403, 200),
    ("GET", "/admin/users/new"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/users/new"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/users/<int:user_id>"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/users/<int:user_id>"): (LOGIN, 403, 403, 400),
    ("POST", "/admin/users/<int:user_id>/reset-password"): (LOGIN, 403, 403, 400),
    ("POST", "/admin/users/<int:user_id>/disable"): (LOGIN, 403, 403, 303),
    ("POST", "/admin/users/<int:user_id>/enable"): (LOGIN, 403, 403, 303),
    ("POST", "/admin/users/<int:user_id>/unlock"): (LOGIN, 403, 403, 303),
    ("GET", "/admin/audit"): (LOGIN, 403, 403, 200),
    ("GET", "/admin/categories"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/categories"): (LOGIN, 403, 403, 400),
    ("POST", "/admin/categories/<int:category_id>"): (LOGIN, 403, 403, 400),
    ("POST", "/admin/categories/<int:category_id>/move"): (LOGIN, 403, 403, 303),
    ("POST", "/admin/categories/<int:category_id>/toggle"): (LOGIN, 403, 403, 303),
    ("POST", "/admin/categories/<int:category_id>/delete"): (LOGIN, 403, 403, 303),
    ("GET", "/admin"): (LOGIN, 403, 403, 200),
    ("GET", "/questionnaires"): (LOGIN, 403, 403, 200),
    ("GET", "/questionnaires/new"): (LOGIN, 403, 403, 200),
    ("POST", "/questionnaires/new"): (LOGIN, 403, 403, 400),
    ("GET", "/questionnaires/import"): (LOGIN, 403, 403, 200),
    ("POST", "/questionnaires/import"): (LOGIN, 403, 403, 400),
    ("GET", "/questionnaires/<int:questionnaire_id>"): (LOGIN, 403, 403, 200),
    ("POST", "/questionnaires/<int:questionnaire_id>/drafts"): (LOGIN, 403, 403, 303),
    ("GET", "/questionnaires/versions/<int:version_id>"): (LOGIN, 403, 403, 200),
    ("GET", "/questionnaires/versions/<int:version_id>/preview"): (LOGIN, 403, 403, 200),
    ("GET", "/questionnaires/versions/<int:version_id>/export.xlsx"): (LOGIN, 403, 403, 200),
    ("POST", "/questionnaires/versions/<int:version_id>/publish"): (LOGIN, 403, 403, 303),
    ("POST", "/questionnaires/versions/<int:version_id>/delete"): (LOGIN, 403, 403, 303),
    ("GET", "/questionnaires/versions/<int:version_id>/sections/new"): (LOGIN, 403, 403, 200),
    ("POST", "/questionnaires/versions/<int:version_id>/sections/new"): (LOGIN, 403, 403, 400),
    ("GET", "/questionnaires/sections/<int:section_id>/edit"): (LOGIN, 403, 403, 200),
    ("POST", "/questionnaires/sections/<int:section_id>/edit"): (LOGIN, 403, 403, 400),
    ("POST", "/questionnaires/sections/<int:section_id>/move"): (LOGIN, 403, 403, 303),
    ("POST", "/questionnaires/sections/<int:section_id>/delete"): (LOGIN, 403, 403, 400),
    ("GET", "/questionnaires/sections/<int:section_id>/questions/new"): (LOGIN, 403, 403, 200),
    ("POST", "/questionnaires/sections/<int:section_id>/questions/new"): (LOGIN, 403, 403, 400),
    ("GET", "/questionnaires/questions/<int:question_id>/edit"): (LOGIN, 403, 403, 200),
    ("POST", "/questionnaires/questions/<int:question_id>/edit"): (LOGIN, 403, 403, 400),
    ("POST", "/questionnaires/questions/<int:question_id>/move"): (LOGIN, 403, 403, 303),
    ("POST", "/questionnaires/questions/<int:question_id>/delete"): (LOGIN, 403, 403, 303),
    ("GET", "/sw.js"): (200, 200, 200, 200),
    ("GET", "/rounds"): (LOGIN, 200, 200, 200),
    ("GET", "/rounds/new"): (LOGIN, 403, 403, 200),
    ("POST", "/rounds/new"): (LOGIN, 403, 403, 400),
    ("GET", "/rounds/<int:round_id>"): (LOGIN, 302, 200, 200),
    ("GET", "/rounds/<int:round_id>/self-check"): (LOGIN, 302, 403, 403),
    ("GET", "/rounds/<int:round_id>/units/<int:unit_id>/visit"): (LOGIN, 403, 302, 403),
    # progress board and unit links (issue 7); link sessions are tested in tests/test_links.py
    ("GET", "/rounds/<int:round_id>/progress"): (LOGIN, 403, 200, 200),
    ("GET", "/rounds/<int:round_id>/qr"): (LOGIN, 403, 200, 200),
    ("GET", "/rounds/<int:round_id>/links"): (LOGIN, 403, 403, 200),
    # "issue" posted: the matrix unit has no liaison when the actor is not its liaison (refused: 303 + flash)
    ("POST", "/rounds/<int:round_id>/links/<int:unit_id>/issue"): (LOGIN, 403, 403, 303),
    ("POST", "/rounds/<int:round_id>/links/<int:unit_id>/revoke"): (LOGIN, 403, 403, 303),
    ("POST", "/rounds/<int:round_id>/links/issue-all"): (LOGIN, 403, 403, 303),
    ("GET", "/u/<int:round_id>/<int:unit_id>"): (LOGIN, 302, 302, 302),
    ("GET", "/l/<token>"): (404, 404, 404, 404),  # the literal "<token>": not a signed token
    ("GET", "/l"): (LOGIN, HOME, HOME, HOME),
    ("POST", "/l/leave"): (LOGIN, HOME, HOME, HOME),
    ("GET", "/submissions/<int:submission_id>"): (LOGIN, 200, 200, 200),
    ("POST", "/submissions/<int:submission_id>/draft"): (LOGIN, 400, 400, 400),
    ("GET", "/submissions/<int:submission_id>/review"): (LOGIN, 404, 404, 404),
    ("POST", "/submissions/<int:submission_id>/submit"): (LOGIN, 400, 400, 400),
    ("POST", "/submissions/<int:submission_id>/reopen"): (LOGIN, 403, 403, 403),
    ("POST", "/submissions/<int:submission_id>/photos"): (LOGIN, 400, 400, 400),
    # photo ids here point nowhere; tests/test_photos.py checks real photos across units and groups
    ("GET", "/photos/<int:photo_id>"): (LOGIN, 404, 404, 404),
    ("GET", "/photos/<int:photo_id>/thumb"): (LOGIN, 404, 404, 404),
    ("POST", "/photos/<int:photo_id>/delete"): (LOGIN, 404, 404, 404),
    # visit tools (issue 7): the liaison is refused even for its own unit (404, audited); tests/test_visits.py
    # checks other groups and units
    ("GET", "/rounds/<int:round_id>/comparison"): (LOGIN, 404, 200, 200),
    ("GET", "/rounds/<int:round_id>/units/<int:unit_id>/comparison"): (LOGIN, 404, 200, 200),
    ("GET", "/rounds/<int:round_id>/units/<int:unit_id>/pack"): (LOGIN, 404, 200, 200),
    ("GET", "/rounds/<int:round_id>/units/<int:unit_id>/report"): (LOGIN, 404, 200, 200),
    ("GET", "/ledger"): (LOGIN, 200, 200, 200),
    ("GET", "/dashboard"): (LOGIN, 403, 200, 200),
    # exports (issue 6): job ids here point nowhere (a job is its owner's only: tests/test_export_jobs.py)
    ("GET", "/ledger/export.xlsx"): (LOGIN, 200, 200, 200),
    ("GET", "/rounds/<int:round_id>/answers.xlsx"): (LOGIN, 403, 200, 200),
    ("GET", "/exports/<int:job_id>"): (LOGIN, 404, 404, 404),
    ("GET", "/exports/<int:job_id>/download"): (LOGIN, 404, 404, 404),
    ("GET", "/ledger/<int:problem_id>"): (LOGIN, 200, 200, 200),
    # the action posted is "accept": the unit's to take (it then needs measures: 400), nobody else's
    (ACT := "/ledger/<int:problem_id>/<any(accept, update_progress, report, verify, return, request_extension, "
            "approve_extension, refuse_extension, cancel, reopen, set_deadline, set_category):action>"): None,
    ("GET", "/ledger/new"): (LOGIN, 403, 200, 200),
    ("POST", "/ledger/new"): (LOGIN, 403, 400, 400),
    ("POST", "/ledger/bulk"): (LOGIN, 403, 403, 303),
    # evidence ids here point nowhere; tests/test_evidence.py checks real files across units and groups
    ("GET", "/ledger/evidence/<int:evidence_id>"): (LOGIN, 404, 404, 404),
    ("GET", "/ledger/evidence/<int:evidence_id>/thumb"): (LOGIN, 404, 404, 404),
    ("POST", "/ledger/<int:problem_id>/evidence"): (LOGIN, 303, 303, 303),
    ("POST", "/ledger/evidence/<int:evidence_id>/delete"): (LOGIN, 404, 404, 404),
    # numbered notices (issue 14): whoever sees the problem; tests/test_notices.py checks other units and groups
    ("GET", "/notices"): (LOGIN, 403, 200, 200),
    ("GET", "/notices/<int:notice_id>"): (LOGIN, 200, 200, 200),
    ("GET", "/notices/<int:notice_id>/docx"): (LOGIN, 200, 200, 200),
    ("GET", "/admin/notice-templates"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/notice-templates"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/notice-templates/<any(remind, duban, warn, report, selfcheck):kind>.docx"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/notice-templates/<any(remind, duban, warn, report, selfcheck):kind>/revert"):
        (LOGIN, 403, 403, 303),
    ("GET", "/ledger/import"): (LOGIN, 403, 403, 200),
    ("POST", "/ledger/import"): (LOGIN, 403, 403, 400),
    ("POST", "/ledger/import/confirm"): (LOGIN, 403, 403, 400),
    # the inbox: everyone's own (message ids here point nowhere; tests/test_inbox.py checks real ones)
    ("GET", "/inbox"): (LOGIN, 200, 200, 200),
    ("GET", "/inbox/<int:message_id>"): (LOGIN, 404, 404, 404),
    ("POST", "/inbox/<int:message_id>/read"): (LOGIN, 404, 404, 404),
    ("POST", "/inbox/read-all"): (LOGIN, 303, 303, 303),
    # channels and failed deliveries: administrators only (channel and delivery ids point nowhere)
    ("GET", "/admin/channels/<any(unit,group,user,contact):owner_kind>/<int:owner_id>"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/channels/<any(unit,group,user,contact):owner_kind>/<int:owner_id>"): (LOGIN, 403, 403, 400),
    ("GET", "/admin/channels/<int:channel_id>/edit"): (LOGIN, 403, 403, 404),
    ("POST", "/admin/channels/<int:channel_id>/edit"): (LOGIN, 403, 403, 404),
    ("POST", "/admin/channels/<int:channel_id>/toggle"): (LOGIN, 403, 403, 404),
    ("POST", "/admin/channels/<int:channel_id>/delete"): (LOGIN, 403, 403, 404),
    ("POST", "/admin/channels/<int:channel_id>/test"): (LOGIN, 403, 403, 404),
    ("GET", "/admin/deliveries/failed"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/deliveries/<int:delivery_id>/resend"): (LOGIN, 403, 403, 404),
    ("POST", "/admin/deliveries/resend"): (LOGIN, 403, 403, 303),
    # 督办 (issue 14): the working-day calendar and a round's ladder are the administrator's. The
    # posts carry only the CSRF token: no day (400, 422), an empty ladder (nothing changes: 303)
    ("GET", "/admin/calendar"): (LOGIN, 403, 403, 200),
    ("POST", "/admin/calendar"): (LOGIN, 403, 403, 400),
    ("POST", "/admin/calendar/remove"): (LOGIN, 403, 403, 422),
    ("GET", "/rounds/<int:round_id>/ladder"): (LOGIN, 403, 403, 200),
    ("POST", "/rounds/<int:round_id>/ladder"): (LOGIN, 403, 403, 303),
}
MATRIX.pop(ACT)
MATRIX[("POST", ACT)] = (LOGIN, 400, 403, 403)


def route_keys(app) -> set[tuple[str, str]]:
    keys = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            keys.add((method, rule.rule))
    return keys


def test_every_route_is_in_the_matrix(app):
    missing = route_keys(app) - set(MATRIX)
    stale = set(MATRIX) - route_keys(app)
    assert not missing, f"routes without a row in the access matrix: {sorted(missing)}"
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"


def test_every_endpoint_declares_access(app):
    undeclared = [ep for ep, view in app.view_functions.items() if not hasattr(view, "access")]
    assert undeclared == []


def _fill(rule: str, ids: dict) -> str:
    rule = re.sub(r"<any\([^)]*\):action>", "accept", rule)
    rule = re.sub(r"<any\([^)]*\):kind>", "duban", rule)
    rule = re.sub(r"<any\([^)]*\):owner_kind>/<int:owner_id>", f"unit/{ids.get('unit')}", rule)
    for key, value in ids.items():
        rule = rule.replace(f"<int:{key}_id>", str(value))
    return rule.replace("<path:filename>", "css/app.css")


def _draft_questionnaire(db) -> dict:
    from survey.questionnaires import editing, operations

    actor = make_user(Role.ADMIN, username="author")
    version = operations.create_questionnaire(actor, "矩阵问卷", "self_check")
    section = version.sections[0]
    question = editing.save_question(section, None, {"name": "q1", "type": "check", "label": "检查项"}, "")
    db.session.commit()
    return {"questionnaire": version.questionnaire_id, "version": version.id, "section": section.id,
            "question": question.id, "author": actor}


def _round(db, author, unit) -> dict:
    """A round over the matrix unit, with the unit's self-check opened (a draft)."""
    from survey.filling import operations as filling
    from survey.questionnaires import operations

    forms = []
    for kind in ("self_check", "onsite"):
        v = operations.create_questionnaire(author, f"{kind}表", kind)
        from survey.questionnaires import editing
        editing.save_question(v.sections[0], None, {"name": "q1", "type": "check", "label": "检查项"}, "")
        operations.publish_version(author, v)
        forms.append(v)
    rnd = filling.create_round(author, name="矩阵批次", code="M", starts_on=date(2026, 1, 1),
                               ends_on=max(date(2026, 12, 31), clock.today() + timedelta(days=365)),
                               self_check_deadline=date(2026, 6, 30),
                               self_check_version=forms[0], onsite_version=forms[1], units=[unit])
    sub = filling.open_submission(rnd, unit, "self_check", author)
    db.session.flush()
    from survey.filling.problems import create_problems
    [problem] = create_problems(sub, [{"description": "矩阵问题", "category": "其他"}], author, date(2026, 3, 1))
    from survey.notices.numbering import issue_notice
    notice = issue_notice(rnd, "duban", unit.id, problem_id=problem.id)
    db.session.commit()
    return {"round": rnd.id, "submission": sub.id, "problem": problem.id, "notice": notice.id}


def _category_id(name: str) -> int:
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import ProblemCategory
    return db.session.scalar(select(ProblemCategory.id).where(ProblemCategory.name == name))


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
@pytest.mark.parametrize("role_index", range(4), ids=ROLES)
def test_access(app, client, db, key, role_index):
    method, rule = key
    unit = make_unit("矩阵单位")
    target = make_user(Role.INSPECTOR, username="target")
    group = make_group("矩阵组", members=[target], units=[unit])
    ids = {"unit": unit.id, "group": group.id, "user": target.id, **_draft_questionnaire(db)}
    ids.update(_round(db, ids.pop("author"), unit))
    ids["photo"] = ids["evidence"] = ids["job"] = ids["message"] = ids["channel"] = ids["delivery"] = 987654
    ids["category"] = _category_id("作风建设")
    role = ROLES[role_index]
    if role != "anonymous":
        make_user(role, username="actor", unit=unit if role == "unit" else None,
                  groups=[group] if role == "inspector" else ())
        assert do_login(client, "actor").status_code == 302
    url = _fill(rule, ids)
    if method == "GET":
        resp = client.get(url)
    else:
        token = csrf_from(client.get("/login" if role == "anonymous" else "/account").get_data(as_text=True))
        resp = client.post(url, data={"csrf_token": token})
    expected = MATRIX[key][role_index]
    if expected == LOGIN:
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    elif expected == HOME:
        assert resp.status_code == 302 and resp.headers["Location"] == "/"
    else:
        assert resp.status_code == expected, resp.get_data(as_text=True)[:300]


def test_unknown_ids_are_404_for_admins(client, db, login):
    login(make_user(Role.ADMIN))
    for url in ("/admin/units/999999", "/admin/groups/999999", "/admin/users/999999",
                "/questionnaires/999999", "/questionnaires/versions/999999",
                "/questionnaires/sections/999999/edit", "/questionnaires/questions/999999/edit"):
        assert client.get(url).status_code == 404
