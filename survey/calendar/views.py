"""管理 → 工作日历: the official calendar's coverage and the local exceptions."""
from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.reminders import ActionForm, CalendarDayForm
from survey import clock
from survey.calendar import operations, workdays
from survey.calendar.blueprint import bp
from survey.errors import DomainError
from survey.permissions import admin_required
from survey.viewutil import add_error, committing, form_view, submit


def _page(form: CalendarDayForm, status: int = 200):
    today = clock.today()
    cal = workdays.WorkCalendar()
    upcoming = [today + timedelta(days=i) for i in range(14)]
    rows = sorted(workdays.exceptions().items())
    return render_template(
        "calendar/index.html", form=form, action_form=ActionForm(), coverage=workdays.coverage(),
        today=today, today_warning=workdays.coverage_warning(today + timedelta(days=180)),
        exceptions=[{"day": d, "kind": k, "label": operations.KIND_LABELS.get(k, k),
                     "warning": workdays.coverage_warning(d)} for d, k in rows],
        notes=workdays.notes(), upcoming=[(d, cal.is_working_day(d)) for d in upcoming]), status


@bp.route("", methods=["GET", "POST"])
@admin_required
@form_view
def index():
    form = CalendarDayForm()
    ok, status = submit(form, lambda: operations.add_exception(
        current_user, day=form.day.data, kind=form.kind.data, note=form.note.data or ""))
    if ok and request.method == "POST":
        warning = workdays.coverage_warning(form.day.data)
        flash(f"已添加 {form.day.data.isoformat()}" + (f"（{warning}）" if warning else ""),
              "warning" if warning else "success")
        return redirect(url_for("calendar.index"))
    return _page(form, status)


@bp.route("/remove", methods=["POST"])
@admin_required
def remove():
    form = ActionForm()
    if not form.validate_on_submit():
        flash(form.CSRF_MESSAGE, "error")
        return redirect(url_for("calendar.index"), 303)
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        day = None
    try:
        with committing():
            operations.remove_exception(current_user, day)
    except DomainError as exc:
        page = CalendarDayForm(formdata=None)
        add_error(page, "day", exc.message)
        return _page(page, 422 if exc.status == 400 else exc.status)
    flash(f"已删除 {day.isoformat()} 的本地例外", "success")
    return redirect(url_for("calendar.index"), 303)
