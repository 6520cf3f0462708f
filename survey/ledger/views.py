"""The problem ledger: list with filters in the URL, a problem's page, its transitions, bulk."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from forms.ledger import BulkForm, NewProblemForm, ProblemActionForm

from survey.clock import today
from survey.errors import DomainError
from survey.extensions import db
from survey.ledger import categories, operations, queries, rules
from survey.ledger.chips import filter_chips
from survey.ledger.transitions import TRANSITIONS, action_label
from survey.models import Problem, ProblemSource, ProblemStatus, Role, Round, Unit
from survey.models.problem import source_label, status_label
from survey.models.questionnaire import SEVERITIES
from survey.notices.queries import notices_of_problem
from survey.permissions import admin_required, login_required, roles_required
from survey.viewutil import committing, form_view
from survey.ledger.blueprint import bp

# The problem's vocabulary in every template: {{ problem.status|status_label }}, {% for s in ProblemStatus %}
for _name, _value in (("ProblemStatus", ProblemStatus), ("ProblemSource", ProblemSource),
                      ("warning_labels", rules.WARNING_LABELS)):
    bp.add_app_template_global(_value, _name)
for _name, _value in (("status_label", status_label), ("source_label", source_label), ("action_label", action_label),
                      ("warning", rules.warning), ("days_overdue", rules.days_overdue), ("days_open", rules.days_open)):
    bp.add_app_template_filter(_value, _name)


@bp.app_context_processor
def todo_badge() -> dict:
    """The 台账 tab's to-do count in the bottom bar (base.html), computed on first use, once per request.
    A signed-link session counts its own round only: the access policy scopes the query."""
    def badge() -> int:
        if "todo_count" not in g:
            g.todo_count = queries.todo_count(current_user, today()) if current_user.is_authenticated else 0
        return g.todo_count
    return {"todo_badge": badge}


def near_days() -> int:
    return int(current_app.config.get("NEAR_DEADLINE_DAYS", 7))


@bp.route("")
@login_required
def index():
    f = queries.LedgerFilter.from_args(request.args)
    problems, total = queries.query_ledger(current_user, f, today(), near_days())
    units = list(db.session.scalars(queries.visible_units_stmt(current_user)))
    rounds = db.session.scalars(select(Round).order_by(Round.id.desc())).all()
    chips = filter_chips(f, {u.id: u.name for u in units}, {r.id: r.name for r in rounds}, near_days())
    return render_template("ledger/index.html", problems=problems, total=total, f=f, cap=queries.COUNT_CAP,
                           pages=max(1, -(-total // queries.PAGE_SIZE)), today=today(), near=near_days(),
                           rounds=rounds, chips=chips,
                           units=units, categories=categories.names(active_only=False), severities=SEVERITIES,
                           bulk_form=BulkForm() if current_user.is_admin else None,
                           undated={k: v for k, v in f.args().items() if k not in queries.DATE_ARGS})


@bp.route("/<int:problem_id>")
@login_required
def detail(problem_id: int, form: ProblemActionForm | None = None, failed: str = ""):
    problem = queries.get_problem_or_404(current_user, problem_id)
    actions = [TRANSITIONS[name] for name in rules.allowed_actions(current_user, problem, operations.scope_of(problem))]
    return render_template("ledger/detail.html", problem=problem, actions=actions, form=form or ProblemActionForm(),
                           failed=failed, today=today(), near=near_days(),
                           source=queries.source_answer(problem), notices=notices_of_problem(problem.id))


@bp.route("/<int:problem_id>/<any(" + ", ".join(TRANSITIONS) + "):action>", methods=["POST"])
@login_required
@form_view
def act(problem_id: int, action: str):
    problem = queries.get_problem_or_404(current_user, problem_id)
    form = ProblemActionForm()
    if not form.validate_on_submit():
        return detail(problem_id, form, action), 400
    params = {name: _value(form, name) for name in TRANSITIONS[action].fields}
    lock = int(form.lock_version.data) if (form.lock_version.data or "").isdigit() else None
    try:
        with committing():  # another request changing it between our read and our write: Conflict (409)
            operations.ACTIONS[action](current_user, problem, lock, **params)
    except DomainError as exc:
        if exc.field and hasattr(form, exc.field):
            getattr(form, exc.field).errors = [exc.message]
        flash(exc.message, "error")
        return detail(problem_id, form, action), exc.status
    flash(f"已{TRANSITIONS[action].label}", "success")
    return redirect(url_for("ledger.detail", problem_id=problem_id), 303)


def _value(form: ProblemActionForm, name: str):
    data = getattr(form, name).data
    if name in ("planned_on", "new_deadline", "deadline"):
        return data
    return data or ""


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.INSPECTOR)
@form_view
def new():
    form = NewProblemForm()
    form.round_id.choices = [(r.id, r.name) for r in db.session.scalars(select(Round).order_by(Round.id.desc()))]
    form.unit_id.choices = [(u.id, u.name) for u in db.session.scalars(
        queries.visible_units_stmt(current_user))]
    status = 200
    if form.validate_on_submit():
        rnd, unit = db.session.get(Round, form.round_id.data or 0), db.session.get(Unit, form.unit_id.data or 0)
        if rnd is None or unit is None:
            abort(400)
        try:
            with committing():
                problem = operations.register_problem(
                    current_user, rnd=rnd, unit=unit, category=form.category.data,
                    description=form.description.data, severity=form.severity.data, deadline=form.deadline.data,
                    found_on=form.found_on.data or today(), on_site_result=form.on_site_result.data or "")
        except DomainError as exc:
            field = getattr(form, exc.field or "", None)
            (field.errors.append if field is not None else form.form_errors.append)(exc.message)
            status = exc.status
        else:
            flash(f"已登记问题 {problem.code}", "success")
            return redirect(url_for("ledger.detail", problem_id=problem.id), 303)
    elif request.method == "POST":
        status = 400
    return render_template("ledger/new.html", form=form), status


@bp.route("/bulk", methods=["POST"])
@admin_required
@form_view
def bulk():
    form = BulkForm()
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()][:1000]
    back = url_for("ledger.index", **{k: v for k, v in request.args.items()})
    if not form.validate_on_submit():
        flash(form.CSRF_MESSAGE if form.csrf_failed else "批量操作参数有误", "error")
        return redirect(back, 303)
    problems = list(db.session.scalars(select(Problem).where(Problem.id.in_(ids or [0])).order_by(Problem.id)))
    params = {"set_deadline": {"deadline": form.deadline.data}, "set_category": {"category": form.category.data},
              "verify": {"comment": "批量核验销号"}}[form.action.data]
    try:
        with committing():
            if form.action.data == "set_deadline" and params["deadline"] is None:
                raise DomainError("请填写整改时限")
            count = operations.bulk(current_user, problems, form.action.data, **params)
    except DomainError as exc:
        flash(f"批量操作未执行（全部回滚）：{exc.message}", "error")
        return redirect(back, 303)
    flash(f"已对 {count} 个问题执行“{dict(form.action.choices)[form.action.data]}”", "success")
    return redirect(back, 303)

from survey.ledger import views_evidence  # noqa: E402,F401
from survey.ledger import views_import  # noqa: E402,F401
