"""The round's ladder page (administrators): every step of both ladders in one form."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.reminders import ActionForm
from survey.calendar import workdays
from survey.errors import DomainError, ValidationFailed
from survey.models import LadderTarget, Round
from survey.permissions import admin_required
from survey.queries import get_or_404
from survey.reminders import ladder
from survey.reminders.blueprint import bp
from survey.viewutil import committing, form_view


def _rows_posted() -> list[ladder.StepInput]:
    """s-<n>-<field> rows for existing steps (s-<n>-id, s-<n>-lock_version) and new-<target>-<field>
    for one new step per ladder (added when its name or key is filled)."""
    form = request.form
    rows = []
    indexes = sorted({k.split("-")[1] for k in form if k.startswith("s-") and k.count("-") >= 2})
    for n in indexes:
        p = f"s-{n}-"
        try:
            step_id, lock = int(form.get(p + "id", "")), int(form.get(p + "lock_version", ""))
        except ValueError:
            raise DomainError("提交的阶梯数据不完整，请刷新页面后重试")
        rows.append(ladder.StepInput(p, step_id, lock, form.get(p + "target", ""), _values(p)))
    for target in LadderTarget:
        p = f"new-{target.value}-"
        if (form.get(p + "name") or "").strip() or (form.get(p + "key") or "").strip():
            rows.append(ladder.StepInput(p, None, None, target.value, _values(p)))
    return rows


def _values(p: str) -> dict:
    form = request.form
    return {**{f: form.get(p + f, "") for f in ("name", "key", "position", "offset_days", "notice_kind")},
            "audience": form.getlist(p + "audience"), "channels": form.getlist(p + "channels"),
            **{f: form.get(p + f) == "y" for f in ("working_days", "urgent", "flag_admin", "enabled")}}


def _page(rnd: Round, errors: dict | None = None, posted: dict | None = None, message: str = "", status: int = 200):
    steps = ladder.steps_of(rnd)
    cal = workdays.WorkCalendar()
    due_on = {}
    for target, deadline in ((LadderTarget.SELF_CHECK.value, rnd.self_check_deadline),):
        for s in steps.get(target, []):
            due_on[s.id] = cal.shift(deadline, s.offset_days, s.working_days)
    warnings = [w for w in (workdays.coverage_warning(rnd.self_check_deadline),
                            workdays.coverage_warning(rnd.ends_on)) if w]
    return render_template(
        "reminders/ladder.html", rnd=rnd, steps=steps, errors=errors or {}, posted=posted or {}, message=message,
        action_form=ActionForm(), targets=ladder.TARGET_LABELS, audience_choices=ladder.AUDIENCE_CHOICES,
        channel_choices=ladder.CHANNEL_CHOICES, notice_choices=ladder.NOTICE_CHOICES,
        notice_labels=dict(ladder.NOTICE_CHOICES), due_on=due_on,
        error_steps={"-".join(k.split("-")[:2]) + "-" for k in (errors or {})},
        coverage=workdays.coverage(), warnings=warnings), status


@bp.route("/rounds/<int:round_id>/ladder", methods=["GET", "POST"])
@admin_required
@form_view
def ladder_page(round_id: int):
    rnd = get_or_404(Round, round_id)
    if request.method == "GET":
        return _page(rnd)
    form = ActionForm()
    if not form.validate_on_submit():
        return _page(rnd, message=form.CSRF_MESSAGE, posted=request.form, status=400)
    try:
        rows = _rows_posted()
        with committing():
            ladder.save_ladder(current_user, rnd, rows)
    except ValidationFailed as exc:
        errors: dict[str, list[str]] = {}
        for field_name, text in exc.errors:
            errors.setdefault(field_name, []).append(text)
        return _page(rnd, errors=errors, posted=request.form, message=exc.message, status=422)
    except DomainError as exc:
        return _page(rnd, message=exc.message, posted=request.form, status=exc.status if exc.status != 400 else 422)
    flash("督办阶梯已保存", "success")
    return redirect(url_for("reminders.ladder_page", round_id=rnd.id), 303)
