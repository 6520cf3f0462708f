"""The signed-link session check (免密访问), a before_request hook of its own.

A link session acts as the unit's liaison on one unit in one round (survey.links.session sets it
up). This hook runs before enforce_access for every non-public endpoint of such a session: deny by
default, then only the endpoints in RULES, each checking that the object asked for lies in the
link's round and unit through the coverage rule (a link viewer covers exactly that pair). Every
refusal is audited once, with its reason."""
from __future__ import annotations

from typing import Callable

from flask import abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from survey import audit
from survey.errors import wants_json
from survey.extensions import db
from survey.models import Evidence, Message, Notice, Photo, Problem, Role, Submission, UnitLink, User
from survey.permissions.coverage import covers
from survey.permissions.endpoints import LOGGED_IN, PUBLIC, endpoint_access, in_link_session

OK, WRONG_UNIT = "ok", "wrong_unit"
MESSAGES = {
    "tampered": "链接无效：链接不完整或被改动过。请重新扫描二维码，或向管理员索取新的链接。",
    "unknown": "链接无效：该链接不存在。请向管理员索取新的链接。",
    "replaced": "该链接已被管理员重新生成，旧链接不再有效。请使用新的二维码或链接。",
    "revoked": "该链接已被管理员撤销，不能再使用。请使用账号密码登录，或联系管理员。",
    "expired": "该链接已过期（有效期到检查批次结束）。请使用账号密码登录，或联系管理员。",
    "no_liaison": "该单位没有可用的联络员账号，链接不能使用。请联系管理员。",
    "wrong_unit": "免密链接只能打开本单位在本批次的自查表和问题，不能查看其他单位或批次的内容。",
    "out_of_scope": "免密链接只能填写本单位的自查表、处理本单位的问题。其他功能请退出免密访问，用账号密码登录。",
}


def enforce_link_session():
    """before_request hook: None lets the request through (enforce_access then sees it checked);
    anything else answers it."""
    if request.endpoint is None or not in_link_session():
        return None
    access = endpoint_access(current_app, request.endpoint)
    if access is None or access == PUBLIC:  # enforce_access refuses the undeclared, serves the public
        return None
    g.link_session_checked = True
    return guard(access)


def guard(access) -> object | None:
    if not current_user.is_authenticated:  # the link was revoked, re-issued or expired since
        reason, link = g.get("link_refused", ("unknown", None))
        audit_now(link, reason, None, {"endpoint": request.endpoint, "path": request.path})
        logout_user()
        session.clear()
        return refused(reason, 403)
    link_scope = g.get("link_scope")
    rule = RULES.get(request.endpoint or "")
    if link_scope is None or rule is None or (access != LOGGED_IN and "unit" not in access):
        return _refuse(link_scope, "out_of_scope")
    verdict = rule(request.view_args or {})
    if verdict == WRONG_UNIT:
        return _refuse(link_scope, WRONG_UNIT)
    if verdict == OK and request.method == "POST" and request.endpoint != "filling.save_draft":
        # An action taken through the link: its audit row is committed with the action, or not at all.
        record_use(db.session.get(UnitLink, link_scope.link_id), None, current_user,
                   {"endpoint": request.endpoint, "path": request.path})
    return None if verdict == OK else verdict


def _refuse(link_scope, reason: str):
    link = db.session.get(UnitLink, link_scope.link_id) if link_scope else None
    audit_now(link, reason, current_user, {"endpoint": request.endpoint, "path": request.path})
    return refused(reason, 403)


def audit_now(link: UnitLink | None, reason: str | None, actor: User | None, details: dict | None = None) -> None:
    """Record a refused use in a transaction of its own once the refusal is answered (this runs before
    the view, where nothing commits). The refusal is then on record once: survey.errors.audit_denied
    does not add an access_denied row for it."""
    row = _use_row(link, reason, actor, details)
    audit.record_after_request("link_use", **{**row, "target": audit.target_snapshot(row["target"])})
    g.denial_audited = reason is not None


def _use_row(link: UnitLink | None, reason: str | None, actor: User | None, details: dict | None) -> dict:
    info = {"link_id": link.id, "round_id": link.round_id, "unit_id": link.unit_id} if link else {}
    if reason:
        info["reason"] = reason
    return {"actor": audit.actor_snapshot(actor) if actor is not None else None, "success": reason is None,
            "target": link.unit if link else None, "details": {**info, **(details or {})}}


def record_use(link: UnitLink | None, reason: str | None, actor: User | None, details: dict | None = None) -> None:
    """One audit row per use of a link, written with the request's transaction: success, or the reason it
    was refused."""
    audit.record("link_use", **_use_row(link, reason, actor, details))


def refused(reason: str, status: int):
    """The page a person reads when a link or a link session is refused (JSON for the phone's scripts)."""
    if wants_json():
        return jsonify(error="forbidden", reason=reason, message=MESSAGES.get(reason, MESSAGES["unknown"])), status
    return render_template("links/refused.html", message=MESSAGES.get(reason, MESSAGES["unknown"]),
                           reason=reason, in_link=in_link_session()), status


# What a link session may reach: endpoint -> check(view args) -> OK / WRONG_UNIT / a response.


def _in(round_id, unit_id) -> str:
    return OK if covers(current_user, round_id, unit_id) else WRONG_UNIT


def _own_unit(round_id) -> str:
    link = g.get("link_scope")
    return _in(round_id, link.unit_id if link else None)


def _get(model, ident):
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def _submission(args: dict, sub: Submission | None = None) -> str:
    sub = sub or _get(Submission, args["submission_id"])
    return _in(sub.round_id, sub.unit_id) if sub.kind == "self_check" else WRONG_UNIT


def _problem(args: dict, problem: Problem | None = None) -> str:
    problem = problem or _get(Problem, args["problem_id"])
    return _in(problem.round_id, problem.unit_id)


def _evidence(args: dict) -> str:
    return _problem(args, _get(Problem, _get(Evidence, args["evidence_id"]).problem_id))


def _notice(args: dict) -> str:
    """A notice to the link's unit in the link's round (its problem's, or its self-check's)."""
    notice = _get(Notice, args["notice_id"])
    return _in(notice.round_id, notice.unit_id)


def _message(args: dict) -> str:
    """A message of the link's unit (its inbox or one of its liaisons'), of its round or of no round."""
    msg, link = _get(Message, args["message_id"]), g.link_scope
    to = db.session.get(User, msg.user_id) if msg.user_id is not None else None
    ok = (msg.unit_id == link.unit_id and msg.contact_id is None and msg.round_id in (None, link.round_id)
          and (to is None or (to.unit_id == link.unit_id and to.role == Role.UNIT.value)))
    return OK if ok else WRONG_UNIT


def _ledger_list(args: dict):
    """The unit's problems of the link's round: the round filter is always on."""
    round_id = g.link_scope.round_id
    if request.args.get("round") == str(round_id):
        return OK
    return redirect(url_for("ledger.index", **{**request.args.to_dict(), "round": round_id}))


def _to_home(args: dict):
    return redirect(url_for("links.home"))


RULES: dict[str, Callable] = {
    "links.home": lambda a: OK,
    "links.leave": lambda a: OK,
    "links.unit_entry": lambda a: _in(a["round_id"], a["unit_id"]),
    "filling.round_detail": lambda a: _own_unit(a["round_id"]),
    "filling.self_check": lambda a: _own_unit(a["round_id"]),
    "filling.submission": _submission,
    "filling.save_draft": _submission,
    "filling.submit": _submission,
    "filling.upload_photo": _submission,
    "filling.photo": lambda a: _submission(a, _get(Photo, a["photo_id"]).submission),
    "filling.photo_thumb": lambda a: _submission(a, _get(Photo, a["photo_id"]).submission),
    "filling.delete_photo": lambda a: _submission(a, _get(Photo, a["photo_id"]).submission),
    "ledger.index": _ledger_list,
    "ledger.detail": _problem,
    "ledger.act": _problem,
    "ledger.upload_evidence": _problem,
    "ledger.evidence_file": _evidence,
    "ledger.evidence_thumb": _evidence,
    "ledger.delete_evidence": _evidence,
    "notices.show": _notice,
    "notices.word": _notice,
    "inbox.index": lambda a: OK,          # the list is scoped by survey.inbox.queries.visible_clause
    "inbox.read_all": lambda a: OK,
    "inbox.open_message": _message,
    "inbox.read": _message,
    "home.index": _to_home,
    "auth.account": _to_home,
    "filling.rounds": _to_home,
}
