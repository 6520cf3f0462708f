"""Units: list, create, edit, import from Excel."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from forms.admin import EditUnitForm, UnitForm, UnitImportForm
from survey.admin import operations, queries
from survey.admin.blueprint import bp
from survey.admin.unit_import import import_units
from survey.admin.xlsx_templates import unit_template
from survey.errors import ValidationFailed
from survey.models import UNIT_CATEGORIES, Unit
from survey.permissions import admin_required
from survey.viewutil import committing, end_reading, form_view, submit


@bp.route("/units")
@admin_required
def units():
    q = request.args.get("q", "").strip()[:100]
    category = request.args.get("category", "")
    return render_template("admin/units.html", units=queries.query_units(q, category), q=q,
                           category=category, categories=UNIT_CATEGORIES)


@bp.route("/units/new", methods=["GET", "POST"])
@admin_required
@form_view
def unit_new():
    form = UnitForm()
    ok, status = submit(form, lambda: operations.create_unit(current_user, **_unit_values(form)))
    if ok:
        flash(f"已新建单位“{form.name.data.strip()}”", "success")
        return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=None), status


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@admin_required
@form_view
def unit_edit(unit_id: int):
    unit = queries.get_or_404(Unit, unit_id)
    # the contacts prefill the page only: a post says all of them (a field left out is blank)
    contacts = {f"{role}_{f}": getattr(c, f) for role, c in operations.unit_contacts(unit).items()
                for f in operations.CONTACT_FIELDS} if request.method == "GET" else None
    form = EditUnitForm(obj=unit, data=contacts)
    ok, status = submit(form, lambda: operations.update_unit(
        current_user, unit, is_disabled=form.is_disabled.data, **_unit_values(form)))
    if ok:
        flash("已保存", "success")
        return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit), status


def _unit_values(form: UnitForm) -> dict:
    return {"name": form.name.data.strip(), "category": form.category.data,
            "contact_name": (form.contact_name.data or "").strip(),
            "contact_phone": (form.contact_phone.data or "").strip(), "contacts": form.contact_values()}


@bp.route("/units/import", methods=["GET", "POST"])
@admin_required
@form_view
def units_import():
    form = UnitImportForm()
    errors, status = [], 200
    if form.validate_on_submit():
        data = form.file.data.read(current_app.config["UNIT_IMPORT_MAX_BYTES"] + 1)
        end_reading()  # the file is read before the database: hold no (SQLite write) lock meanwhile
        try:
            with committing():
                summary = import_units(current_user, data, current_app.config["UNIT_IMPORT_MAX_BYTES"])
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            flash("导入完成：新增 {created} 个，更新 {updated} 个，未变 {unchanged} 个".format(**summary),
                  "success")
            return redirect(url_for("admin.units"))
    elif request.method == "POST":
        status = 400
    return render_template("admin/units_import.html", form=form, errors=errors), status


@bp.route("/units/import-template.xlsx")
@admin_required
def units_import_template():
    return send_file(unit_template(), as_attachment=True, download_name="单位导入模板.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
