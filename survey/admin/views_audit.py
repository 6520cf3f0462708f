"""The audit log, read-only."""
from __future__ import annotations

from datetime import date

from flask import render_template, request

from survey.admin import queries
from survey.admin.blueprint import bp
from survey.models.audit import EVENT_LABELS
from survey.permissions import admin_required
from survey.viewutil import page_arg


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("")
@admin_required
def hub():
    return render_template("admin/hub.html")


@bp.route("/audit")
@admin_required
def audit():
    filters = {"event": request.args.get("event", "") if request.args.get("event") in EVENT_LABELS else "",
               "user": request.args.get("user", "").strip()[:64],
               "success": request.args.get("success", ""),
               "date_from": _date_arg("date_from"), "date_to": _date_arg("date_to")}
    page = page_arg()
    rows, total = queries.query_audit(filters, page)
    pages = max(1, (total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE)
    return render_template("admin/audit.html", rows=rows, total=total, page=page, pages=pages,
                           filters=filters, events=EVENT_LABELS)
