"""Signed-link sessions (免密访问): the unit's liaison account acts, but only on one unit in one round.

The session cookie names the link, never the user ("link:<id>:<nonce>"), so the user loader
re-checks the link on every request (revoked, re-issued or expired: the session is over at once)
and a link session can never pass for a password login. enforce_access hands every request of a
link session to guard(): deny by default, then only the endpoints in RULES, each checking that
the object asked for belongs to the link's round and unit."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from survey import audit
from survey.clock import utcnow
from survey.database import write_intent
from survey.errors import wants_json
from survey.extensions import db
from survey.links import queries
from survey.models import Evidence, Photo, Problem, Submission, UnitLink, User

PREFIX = "link:"
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


@dataclass(frozen=True)
class LinkScope:
    link_id: int
    round_id: int
    unit_id: int


class _LinkIdentity:
    """What Flask-Login stores for a link session: the link, not the user."""

    is_active = True

    def __init__(self, link: UnitLink) -> None:
        self.token = f"{PREFIX}{link.id}:{link.nonce}"

    def get_id(self) -> str:
        return self.token


def start(link: UnitLink) -> None:
    """Replace whatever session the browser had with a session bound to this link."""
    session.clear()
    session.permanent = True
    login_user(_LinkIdentity(link))


def in_link_session() -> bool:
    return str(session.get("_user_id", "")).startswith(PREFIX)


def scope() -> LinkScope | None:
    """The link's (round, unit) when this request runs in a valid link session."""
    return g.get("link_scope") if current_user.is_authenticated else None


def load_user(token: str) -> User | None:
    """Flask-Login's loader for "link:<id>:<nonce>": the unit's liaison while the link is good."""
    link_id, _, nonce = token[len(PREFIX):].partition(":")
    link = db.session.get(UnitLink, int(link_id)) if link_id.isdigit() else None
    reason = queries.refusal(link, nonce, utcnow())
    user = queries.liaison_of(link.unit_id) if reason is None else None
    if user is None:
        g.link_refused = (reason or "no_liaison", link)
        return None
    g.link_scope = LinkScope(link.id, link.round_id, link.unit_id)
    return user


def guard(access) -> object | None:
    """enforce_access for a link session: None lets the request through; anything else answers it."""
    if not current_user.is_authenticated:  # the link was revoked, re-issued or expired since
        reason, link = g.get("link_refused", ("unknown", None))
        audit_now(link, reason, None, {"endpoint": request.endpoint, "path": request.path})
        logout_user()
        session.clear()
        return refused(reason, 403)
    link_scope = g.get("link_scope")
    rule = RULES.get(request.endpoint or "")
    if link_scope is None or rule is None or (access != "logged_in" and "unit" not in access):
        return _refuse(link_scope, "out_of_scope")
    verdict = rule(link_scope, request.view_args or {})
    if verdict == WRONG_UNIT:
        return _refuse(link_scope, WRONG_UNIT)
    if verdict == OK and request.method == "POST" and request.endpoint != "filling.save_draft":
        # An action taken through the link: its audit row is committed with the action, or not at all.
        record_use(db.session.get(UnitLink, link_scope.link_id), None, current_user,
                   {"endpoint": request.endpoint, "path": request.path})
    return None if verdict == OK else verdict


def _refuse(link_scope: LinkScope | None, reason: str):
    link = db.session.get(UnitLink, link_scope.link_id) if link_scope else None
    audit_now(link, reason, current_user, {"endpoint": request.endpoint, "path": request.path})
    return refused(reason, 403)


def audit_now(link: UnitLink | None, reason: str | None, actor: User | None, details: dict | None = None) -> None:
    """Record a use in a transaction of its own, committed now (the request goes no further). A refusal
    is then on record once: survey.errors.audit_denied does not add an access_denied row for it."""
    db.session.rollback()
    write_intent.set(True)
    record_use(link, reason, actor, details)
    db.session.commit()
    g.denial_audited = reason is not None


def record_use(link: UnitLink | None, reason: str | None, actor: User | None, details: dict | None = None) -> None:
    """One audit row per use of a link: success, or the reason it was refused."""
    info = {"link_id": link.id, "round_id": link.round_id, "unit_id": link.unit_id} if link else {}
    if reason:
        info["reason"] = reason
    audit.record("link_use", actor=actor if actor is not None and actor.is_authenticated else None,
                 success=reason is None, target=link.unit if link else None, details={**info, **(details or {})})


def refused(reason: str, status: int):
    """The page a person reads when a link or a link session is refused (JSON for the phone's scripts)."""
    if wants_json():
        return jsonify(error="forbidden", reason=reason, message=MESSAGES.get(reason, MESSAGES["unknown"])), status
    return render_template("links/refused.html", message=MESSAGES.get(reason, MESSAGES["unknown"]),
                           reason=reason, in_link=in_link_session()), status


# What a link session may reach: endpoint -> check(scope, view args) -> OK / WRONG_UNIT / a response.


def _in(link_scope: LinkScope, round_id, unit_id) -> str:
    return OK if (round_id, unit_id) == (link_scope.round_id, link_scope.unit_id) else WRONG_UNIT


def _get(model, ident):
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def _submission(s: LinkScope, args: dict, sub: Submission | None = None) -> str:
    sub = sub or _get(Submission, args["submission_id"])
    return _in(s, sub.round_id, sub.unit_id) if sub.kind == "self_check" else WRONG_UNIT


def _problem(s: LinkScope, args: dict, problem: Problem | None = None) -> str:
    problem = problem or _get(Problem, args["problem_id"])
    return _in(s, problem.round_id, problem.unit_id)


def _ledger_list(s: LinkScope, args: dict):
    """The unit's problems of the link's round: the round filter is always on."""
    if request.args.get("round") == str(s.round_id):
        return OK
    return redirect(url_for("ledger.index", **{**request.args.to_dict(), "round": s.round_id}))


def _to_home(s: LinkScope, args: dict):
    return redirect(url_for("links.home"))


RULES: dict[str, Callable] = {
    "links.home": lambda s, a: OK,
    "links.leave": lambda s, a: OK,
    "links.unit_entry": lambda s, a: _in(s, a["round_id"], a["unit_id"]),
    "filling.round_detail": lambda s, a: _in(s, a["round_id"], s.unit_id),
    "filling.self_check": lambda s, a: _in(s, a["round_id"], s.unit_id),
    "filling.submission": _submission,
    "filling.save_draft": _submission,
    "filling.submit": _submission,
    "filling.upload_photo": _submission,
    "filling.photo": lambda s, a: _submission(s, a, _get(Photo, a["photo_id"]).submission),
    "filling.delete_photo": lambda s, a: _submission(s, a, _get(Photo, a["photo_id"]).submission),
    "ledger.index": _ledger_list,
    "ledger.detail": _problem,
    "ledger.act": _problem,
    "ledger.upload_evidence": _problem,
    "ledger.evidence_file": lambda s, a: _problem(s, a, _get(Problem, _get(Evidence, a["evidence_id"]).problem_id)),
    "ledger.delete_evidence": lambda s, a: _problem(s, a, _get(Problem, _get(Evidence, a["evidence_id"]).problem_id)),
    "home.index": _to_home,
    "auth.account": _to_home,
    "filling.rounds": _to_home,
}
