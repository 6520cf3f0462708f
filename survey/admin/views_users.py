"""Users: list, create, edit, disable/enable, reset password, unlock. Never deleted."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.admin import EditUserForm, ResetPasswordForm, UserForm
from forms.auth import ActionForm
from survey.admin import operations, queries
from survey.admin.blueprint import bp
from survey.clock import utcnow
from survey.errors import DomainError
from survey.models import ROLE_CHOICES, User
from survey.permissions import admin_required
from survey.viewutil import committing, form_view, submit


def _with_choices(form: UserForm) -> UserForm:
    form.unit_id.choices = [("", "（无）")] + [(u.id, u.name) for u in queries.all_units()]
    form.group_ids.choices = [(g.id, g.name) for g in queries.all_groups()]
    return form


def _links(form: UserForm) -> dict:
    return {"display_name": form.display_name.data.strip(), "role": form.role.data,
            "phone": (form.phone.data or "").strip(), "unit_id": form.unit_id.data,
            "group_ids": form.group_ids.data or []}


@bp.route("/users")
@admin_required
def users():
    q = request.args.get("q", "").strip()[:64]
    role = request.args.get("role", "")
    return render_template("admin/users.html", users=queries.query_users(q, role), q=q, role=role,
                           roles=ROLE_CHOICES, now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
@form_view
def user_new():
    form = _with_choices(UserForm())
    ok, status = submit(form, lambda: operations.create_user(
        current_user, username=form.username.data.strip(), password=form.password.data, **_links(form)))
    if ok:
        flash(f"已新建用户 {form.username.data.strip()}，首次登录须修改密码", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
@form_view
def user_edit(user_id: int):
    user = queries.get_or_404(User, user_id)
    form = _with_choices(EditUserForm(obj=user))
    if not form.is_submitted():
        form.group_ids.data = [g.id for g in user.groups]
    ok, status = submit(form, lambda: operations.update_user(current_user, user, **_links(form)))
    if ok:
        flash("已保存", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, action_form=ActionForm(),
                           reset_form=ResetPasswordForm(), now=utcnow()), status


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@admin_required
@form_view
def user_reset_password(user_id: int):
    user = queries.get_or_404(User, user_id)
    reset_form = ResetPasswordForm()
    ok, status = submit(reset_form, lambda: operations.reset_password(current_user, user,
                                                                      reset_form.password.data))
    if ok:
        flash(f"已重置 {user.username} 的密码，用户下次登录须修改密码", "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    form = _with_choices(EditUserForm(obj=user, formdata=None))
    form.group_ids.data = [g.id for g in user.groups]
    return render_template("admin/user_form.html", form=form, user=user, action_form=ActionForm(),
                           reset_form=reset_form, now=utcnow()), status


def _user_action(user_id: int, action, done: str):
    user = queries.get_or_404(User, user_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(form.CSRF_MESSAGE, "error")
        return redirect(url_for("admin.user_edit", user_id=user.id)), 303
    try:
        with committing():
            action(current_user, user)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.user_edit", user_id=user.id)), 303
    flash(done.format(user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id)), 303


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@admin_required
@form_view
def user_disable(user_id: int):
    return _user_action(user_id, operations.disable_user, "已停用 {}，其登录已失效")


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@admin_required
@form_view
def user_enable(user_id: int):
    return _user_action(user_id, operations.enable_user, "已启用 {}")


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@admin_required
@form_view
def user_unlock(user_id: int):
    return _user_action(user_id, operations.unlock_user, "已解除 {} 的锁定")
