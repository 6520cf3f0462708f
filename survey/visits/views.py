"""The comparison (one unit, and the round's ranking), the 问诊 pack and the 问诊报告: HTTP only."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from survey.clock import today as clock_today
from survey.database import writing
from survey.extensions import db
from survey.models import Round, RoundUnit
from survey.permissions import can_view_round_papers, can_view_unit_papers, login_required
from survey.queries import get_or_404
from survey.visits import access, queries
from survey.visits.blueprint import bp
from survey.visits.comparison import compare_unit, round_ranking
from survey.visits.pack import build_pack
from survey.visits.report import build_report
from survey.viewutil import committing, end_reading


def _refuse(page: str, rnd: Round, scope: RoundUnit | None = None):
    """Answer 403, or 404 to a liaison (as for other units' records), on record: a 403 is audited by
    survey.errors.audit_denied (every 403 is); a liaison's 404 here, in a write transaction of its own."""
    if not current_user.is_liaison:
        abort(403)
    key = (rnd.id, scope.unit_id if scope else None)
    end_reading()
    with writing(), committing():
        scope = db.session.get(RoundUnit, key) if key[1] else None
        access.record_refusal(current_user, page, db.session.get(Round, key[0]), scope)
    abort(404)


def _scope(round_id: int, unit_id: int, page: str) -> RoundUnit:
    scope = queries.scope_or_404(round_id, unit_id)
    if not can_view_unit_papers(current_user, round_id, unit_id):
        _refuse(page, scope.round, scope)
    return scope


@bp.route("/rounds/<int:round_id>/comparison")
@login_required
def ranking(round_id: int):
    rnd = get_or_404(Round, round_id)
    if not can_view_round_papers(current_user, rnd.id):
        _refuse("ranking", rnd)
    ranked = round_ranking(rnd, queries.visible_scope(rnd, current_user))
    return render_template("visits/ranking.html", round=rnd, ranked=ranked)


@bp.route("/rounds/<int:round_id>/units/<int:unit_id>/comparison")
@login_required
def comparison(round_id: int, unit_id: int):
    scope = _scope(round_id, unit_id, "comparison")
    return render_template("visits/comparison.html", scope=scope, round=scope.round,
                           cmp=compare_unit(scope.round, unit_id))


@bp.route("/rounds/<int:round_id>/units/<int:unit_id>/pack")
@login_required
def pack(round_id: int, unit_id: int):
    scope = _scope(round_id, unit_id, "pack")
    today = clock_today()
    return render_template("visits/pack.html", round=scope.round, today=today,
                           pack=build_pack(scope.round, scope, current_user, today))


@bp.route("/rounds/<int:round_id>/units/<int:unit_id>/report")
@login_required
def report(round_id: int, unit_id: int):
    scope = _scope(round_id, unit_id, "report")
    report = build_report(scope.round, scope, current_user)
    return render_template("visits/report.html", round=scope.round, report=report)
