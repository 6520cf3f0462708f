"""The dashboard page: pick a round (or 全部批次), see its figures; every number links to the ledger."""
from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user

from survey.clock import today
from survey.dashboard import present, queries
from survey.models import Role, Round
from survey.permissions import roles_required
from survey.dashboard.blueprint import bp





def near_days() -> int:
    return int(current_app.config.get("NEAR_DEADLINE_DAYS", 7))


@bp.route("/dashboard")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def index():
    rounds = queries.rounds_for_picker(current_user)
    rnd = picked_round(request.args.get("round"), rounds)
    day, near = today(), near_days()
    figures = queries.dashboard(current_user, rnd, day, near)
    base = {"round": rnd.id} if rnd else {}
    rows = present.breakdown_rows(figures)
    link, notice_link = present.ledger_link(base), present.notice_link(base)
    notice_rows = present.notice_rows(figures)
    return render_template("dashboard/index.html", figures=figures, rounds=rounds, round=rnd, link=link,
                           rows=rows, charts=present.dashboard_charts(figures, rows, link),
                           notice_rows=notice_rows, notice_link=notice_link,
                           notice_charts=present.notice_charts(figures, notice_rows, notice_link),
                           today=day, near=near, percent=present.percent)


def picked_round(value: str | None, rounds: list[Round]) -> Round | None:
    """No value: the newest round the user may pick (None when there is none); "all": every round."""
    if value is None or value == "":
        return rounds[0] if rounds else None
    if value == "all":
        return None
    found = next((r for r in rounds if str(r.id) == value), None)
    if found is None:
        abort(404)
    return found
