"""The role's home page and the health check."""
from __future__ import annotations

from flask import current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from survey.dashboard.present import home_charts, ledger_link
from survey.dashboard.views import near_days, today as dashboard_today
from survey.extensions import db
from survey.home import queries
from survey.permissions import login_required, public
from survey.storage import get_storage
from survey.home.blueprint import bp
from survey.viewutil import end_reading



@bp.route("/")
@login_required
def index():
    context = queries.home_context(current_user)
    context.update(today=dashboard_today(), near=near_days())
    if "figures" in context:  # a liaison: the unit's own figures, drawn as on the dashboard
        link = ledger_link({})
        context.update(link=link, charts=home_charts(context["figures"], link))
    return render_template("home/index.html", **context)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        end_reading()
        return jsonify(status="error", db="unreachable", storage="unchecked"), 503
    end_reading()
    problem = get_storage().check()  # the folder writable, or the bucket answering (S3)
    if problem:
        current_app.logger.warning("healthz: %s", problem)
        return jsonify(status="error", db="ok", storage="unavailable"), 503
    return jsonify(status="ok", db="ok", storage="ok")
