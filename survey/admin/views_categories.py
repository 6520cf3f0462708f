"""问题类别: the list administrators edit (add, rename, reorder, retire, delete when unused)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.admin import CategoryForm
from forms.auth import ActionForm
from survey.admin.blueprint import bp
from survey.errors import DomainError
from survey.ledger import categories
from survey.models import ProblemCategory
from survey.permissions import admin_required
from survey.queries import get_or_404
from survey.viewutil import committing, form_view, submit


def _page(form: CategoryForm, status: int = 200, editing: int | None = None):
    return render_template("admin/categories.html", form=form, items=categories.all_categories(),
                           action_form=ActionForm(), editing=editing), status


@bp.route("/categories", methods=["GET", "POST"])
@admin_required
@form_view
def categories_page():
    form = CategoryForm()
    ok, status = submit(form, lambda: categories.create_category(current_user, form.name.data))
    if ok:
        flash(f"已新增问题类别“{form.name.data.strip()}”", "success")
        return redirect(url_for("admin.categories_page"))
    return _page(form, status)


@bp.route("/categories/<int:category_id>", methods=["POST"])
@admin_required
@form_view
def category_rename(category_id: int):
    category = get_or_404(ProblemCategory, category_id)
    form = CategoryForm()
    moved = []
    ok, status = submit(form, lambda: moved.append(categories.rename_category(current_user, category, form.name.data)))
    if ok:
        flash(f"已改名为“{category.name}”" + (f"，{moved[0]} 个问题随之更新" if moved and moved[0] else ""), "success")
        return redirect(url_for("admin.categories_page"))
    return _page(CategoryForm(), status, editing=(category_id, form))


def _act(category_id: int, action, done: str):
    """A button on the list: on refusal the list comes back with the reason and a 4xx status."""
    category = get_or_404(ProblemCategory, category_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(form.CSRF_MESSAGE, "error")
        return _page(CategoryForm(), 400)
    try:
        with committing():
            action(category)
    except DomainError as exc:
        flash(exc.message, "error")
        return _page(CategoryForm(), exc.status)
    flash(done, "success")
    return redirect(url_for("admin.categories_page")), 303


@bp.route("/categories/<int:category_id>/move", methods=["POST"])
@admin_required
@form_view
def category_move(category_id: int):
    step = -1 if request.form.get("direction") == "up" else 1
    return _act(category_id, lambda c: categories.move_category(current_user, c, step), "已调整顺序")


@bp.route("/categories/<int:category_id>/toggle", methods=["POST"])
@admin_required
@form_view
def category_toggle(category_id: int):
    return _act(category_id, lambda c: categories.set_active(current_user, c, not c.is_active), "已更新")


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@admin_required
@form_view
def category_delete(category_id: int):
    return _act(category_id, lambda c: categories.delete_category(current_user, c), "已删除")
