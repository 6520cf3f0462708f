"""Rounds (检查批次): list, open, board; entry points to a self-check or a visit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.filling import RoundForm
from survey.filling import operations, queries
from survey.filling.blueprint import bp
from survey.models import UNIT_CATEGORIES, QuestionnaireVersion, Round, RoundUnit, Unit
from survey.models import Role
from survey.models.round import DEADLINE_DAYS_COLUMNS
from survey.permissions import admin_required, can_view_round, can_visit, login_required, roles_required
from survey.viewutil import committing, form_view, submit, writes
from survey.clock import today
from survey.extensions import db


@bp.route("/rounds")
@login_required
def rounds():
    return render_template("rounds/list.html", rounds=queries.rounds_for(current_user))


@bp.route("/rounds/new", methods=["GET", "POST"])
@admin_required
@form_view
def round_new():
    form = RoundForm()
    form.self_check_version_id.choices = [(v.id, f"{v.title} 第 {v.number} 版")
                                          for v in queries.published_versions("self_check")]
    form.onsite_version_id.choices = [(v.id, f"{v.title} 第 {v.number} 版")
                                      for v in queries.published_versions("onsite")]
    form.categories.choices = [(c, c) for c in UNIT_CATEGORIES]
    form.unit_ids.choices = [(u.id, u.name) for u in queries.units_for_scope("all", [], [])]
    if not form.is_submitted():
        year = today().year
        form.code.data, form.name.data = str(year), f"{year}年廉洁机关建设上门问诊"
    created = {}
    ok, status = submit(form, lambda: created.setdefault("r", operations.create_round(
        current_user, name=form.name.data.strip(), code=form.code.data.strip(),
        starts_on=form.starts_on.data or today(), ends_on=form.ends_on.data or today(),
        self_check_deadline=form.self_check_deadline.data or form.ends_on.data or today(),
        self_check_version=_version(form.self_check_version_id.data),
        onsite_version=_version(form.onsite_version_id.data),
        units=queries.units_for_scope(form.scope.data, form.categories.data or [], form.unit_ids.data or []),
        deadline_days={s: getattr(form, c).data for s, c in DEADLINE_DAYS_COLUMNS.items()})))
    if ok:
        flash(f"已开启检查批次“{created['r'].name}”", "success")
        return redirect(url_for("filling.round_detail", round_id=created["r"].id))
    return render_template("rounds/new.html", form=form), status


def _version(version_id) -> QuestionnaireVersion | None:
    return db.session.get(QuestionnaireVersion, version_id) if version_id else None


@bp.route("/rounds/<int:round_id>")
@login_required
def round_detail(round_id: int):
    rnd = queries.get_or_404(Round, round_id)
    if current_user.is_liaison:
        return redirect(url_for("filling.self_check", round_id=rnd.id))
    if not can_view_round(current_user, rnd.id):
        abort(403)
    f = queries.BoardFilter.from_args(request.args)
    page = queries.round_page(rnd, current_user, f)
    return render_template("rounds/detail.html", round=rnd, board=page["rows"], page=page, f=f, show=f.show,
                           self_check_states=queries.SELF_CHECK_STATES, visit_states=queries.VISIT_STATES)


@bp.route("/rounds/<int:round_id>/progress")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def round_progress(round_id: int):
    """The progress board: each unit's self-check, visit, problems and liaison; the reminder text."""
    rnd = queries.get_or_404(Round, round_id)
    if not can_view_round(current_user, rnd.id):
        abort(403)
    show = request.args.get("show", "")
    board = queries.progress_board(rnd, current_user, today(), show)
    return render_template("rounds/progress.html", round=rnd, board=board, show=show,
                           states=queries.SELF_CHECK_STATES)


@bp.route("/rounds/<int:round_id>/self-check")
@roles_required(Role.UNIT)
@writes
def self_check(round_id: int):
    rnd = queries.get_or_404(Round, round_id)
    unit = db.session.get(Unit, current_user.unit_id)
    with committing():
        submission = operations.open_submission(rnd, unit, "self_check", current_user)
    return redirect(url_for("filling.submission", submission_id=submission.id))


@bp.route("/rounds/<int:round_id>/units/<int:unit_id>/visit")
@roles_required(Role.INSPECTOR)
@writes
def visit(round_id: int, unit_id: int):
    rnd = queries.get_or_404(Round, round_id)
    scope = queries.get_or_404(RoundUnit, (round_id, unit_id))
    if not can_visit(current_user, round_id, unit_id):
        abort(403)
    with committing():
        submission = operations.open_submission(rnd, scope.unit, "visit", current_user)
    return redirect(url_for("filling.submission", submission_id=submission.id))

