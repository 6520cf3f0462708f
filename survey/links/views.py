"""Unit links: the QR sheet, the administrator's link list, using a signed link, the link session."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select

from forms.auth import ActionForm
from survey.clock import today, utcnow
from survey.errors import DomainError, NotAllowed
from survey.extensions import db
from survey.filling.queries import problem_counts
from survey.links import operations, queries
from survey.links.blueprint import bp
from survey.links import session as link_session
from survey.permissions.link_session import refused
from survey.links.qr import qr_svg
from survey.models import Role, Round, RoundUnit, Submission, Unit
from survey.permissions import admin_required, covers, login_required, public, roles_required
from survey.queries import get_or_404
from survey.viewutil import commit, committing, writes


@bp.route("/l/<token>")
@public
@writes
def use(token: str):
    """A signed link from a QR code: a session bound to the unit and round, then its self-check."""
    try:
        link, _ = operations.use_link(token)
    except operations.LinkRefused as exc:
        commit()  # the refusal stays in the audit log
        return refused(exc.reason, exc.status)
    commit()
    link_session.start(link)
    return redirect(url_for("filling.self_check", round_id=link.round_id))


@bp.route("/l")
@login_required
def home():
    """The landing page of a link session: the unit, its self-check and its problems."""
    scope = link_session.scope()
    if scope is None:
        return redirect(url_for("home.index"))
    rnd, unit = db.session.get(Round, scope.round_id), db.session.get(Unit, scope.unit_id)
    own = db.session.scalar(select(Submission).where(Submission.round_id == rnd.id, Submission.unit_id == unit.id,
                                                     Submission.kind == "self_check"))
    counts = problem_counts(rnd.id, [unit.id], today()).get(unit.id)
    return render_template("links/home.html", round=rnd, unit=unit, submission=own, counts=counts,
                           form=ActionForm())


@bp.route("/l/leave", methods=["POST"])
@login_required
def leave():
    if link_session.scope() is None:
        return redirect(url_for("home.index"))
    logout_user()
    session.clear()
    flash("已退出免密访问", "success")
    return redirect(url_for("auth.login"))


@bp.route("/u/<int:round_id>/<int:unit_id>")
@login_required
def unit_entry(round_id: int, unit_id: int):
    """A unit's plain link (its QR code): the liaison lands on the self-check after logging in."""
    scope = get_or_404(RoundUnit, (round_id, unit_id))
    if not current_user.is_liaison:
        return redirect(url_for("filling.round_detail", round_id=round_id))
    if not covers(current_user, round_id, unit_id):
        raise NotAllowed(f"这是“{scope.unit.name}”的链接，您的账号属于其他单位，不能打开。")
    return redirect(url_for("filling.self_check", round_id=round_id))


@bp.route("/rounds/<int:round_id>/qr")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def sheet(round_id: int):
    """Every unit's QR code and link on A4 pages (?unit= for one unit)."""
    rnd = get_or_404(Round, round_id)
    unit_id = request.args.get("unit", "")
    rows = queries.sheet_rows(rnd, current_user, utcnow(), int(unit_id) if unit_id.isdigit() else None)
    if not rows and current_user.is_inspector:
        abort(403)
    return render_template("links/sheet.html", round=rnd, rows=rows, qr_svg=qr_svg)


@bp.route("/rounds/<int:round_id>/links")
@admin_required
def manage(round_id: int):
    rnd = get_or_404(Round, round_id)
    now = utcnow()
    return render_template("links/manage.html", round=rnd, rows=queries.manage_rows(rnd, current_user, now),
                           open=queries.round_end(rnd) > now, labels=queries.STATE_LABELS, form=ActionForm())


@bp.route("/rounds/<int:round_id>/links/<int:unit_id>/issue", methods=["POST"], defaults={"action": "issue"})
@bp.route("/rounds/<int:round_id>/links/<int:unit_id>/revoke", methods=["POST"], defaults={"action": "revoke"})
@admin_required
def change(round_id: int, unit_id: int, action: str):
    rnd, scope = get_or_404(Round, round_id), get_or_404(RoundUnit, (round_id, unit_id))
    act = operations.issue_link if action == "issue" else operations.revoke_link
    again = unit_id in queries.links_of_round(round_id)  # issuing once more draws a new link
    done = {"issue": "重新生成" if again else "开通", "revoke": "撤销"}[action]
    if _run(lambda: act(current_user, rnd, scope.unit)):
        flash(f"已{done}“{scope.unit.name}”的免密链接" + ("，旧链接已失效" if action == "issue" and again else ""),
              "success")
    return redirect(url_for("links.manage", round_id=round_id) + f"#unit-{unit_id}", 303)


@bp.route("/rounds/<int:round_id>/links/issue-all", methods=["POST"])
@admin_required
def issue_all(round_id: int):
    rnd = get_or_404(Round, round_id)
    result = {}
    if _run(lambda: result.update(zip(("issued", "skipped"), operations.issue_all(current_user, rnd)))):
        flash(f"已为 {result['issued']} 个单位开通免密链接", "success")
        if result["skipped"]:
            flash(f"以下单位没有联络员账号，未开通：{'、'.join(result['skipped'])}", "warning")
    return redirect(url_for("links.manage", round_id=round_id), 303)


def _run(action) -> bool:
    """Run action and commit (the CSRF token was checked before the view); a refusal becomes a
    flash and nothing is stored."""
    try:
        with committing():
            action()
    except DomainError as exc:
        flash(exc.message, "error")
        return False
    return True
