"""Supervision groups: list, create, edit members and covered units."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from forms.admin import GroupForm
from survey.admin import operations, queries
from survey.admin.blueprint import bp
from survey.models import SupervisionGroup
from survey.permissions import admin_required
from survey.viewutil import form_view, submit


def _group_form(group: SupervisionGroup | None) -> GroupForm:
    form = GroupForm(obj=group)
    form.member_ids.choices = [(u.id, f"{u.display_name}（{u.username}）") for u in queries.inspectors()]
    form.unit_ids.choices = [
        (u.id, u.name + (f" · 现属{u.group.name}" if u.group and u.group is not group else ""))
        for u in queries.all_units()]
    if group is not None and not form.is_submitted():
        form.member_ids.data = [m.id for m in group.members]
        form.unit_ids.data = [u.id for u in group.units]
    return form


@bp.route("/groups")
@admin_required
def groups():
    return render_template("admin/groups.html", groups=queries.query_groups())


@bp.route("/groups/new", methods=["GET", "POST"])
@admin_required
@form_view
def group_new():
    form = _group_form(None)
    ok, status = submit(form, lambda: operations.create_group(
        current_user, form.name.data.strip(), form.member_ids.data or [], form.unit_ids.data or []))
    if ok:
        flash(f"已新建督导组“{form.name.data.strip()}”", "success")
        return redirect(url_for("admin.groups"))
    return render_template("admin/group_form.html", form=form, group=None), status


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@admin_required
@form_view
def group_edit(group_id: int):
    group = queries.get_or_404(SupervisionGroup, group_id)
    form = _group_form(group)
    ok, status = submit(form, lambda: operations.update_group(
        current_user, group, form.name.data.strip(), form.member_ids.data or [],
        form.unit_ids.data or []))
    if ok:
        flash("已保存", "success")
        return redirect(url_for("admin.groups"))
    return render_template("admin/group_form.html", form=form, group=group), status
