"""Login, logout, the user's own account page and password change."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from forms.auth import ActionForm, ChangePasswordForm, LoginForm
from survey.auth import operations
from survey.errors import DomainError
from survey.permissions import login_required, public
from survey.auth.blueprint import bp
from survey.viewutil import commit, committing, local_path



def safe_next(target: str | None) -> str:
    """Only a path on this site: never follow next= to another host."""
    return local_path(target, url_for("home.index"))


def start_session(user) -> None:
    session.clear()
    session.permanent = True
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.username.data.strip(), form.password.data)
        except operations.LoginRefused as exc:
            commit()  # failure counters and audit rows are kept
            getattr(form, exc.field or "password").errors.append(exc.message)
            status = exc.status
        else:
            commit()
            start_session(user)
            return redirect(safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


login.reshows_form_on_csrf = True


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    with committing():
        operations.logout(current_user)
    logout_user()
    session.clear()
    flash("已安全退出", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    return render_template("auth/account.html", logout_form=ActionForm())


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            with committing():
                operations.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            getattr(form, exc.field or "new_password").errors.append(exc.message)
            status = 422
        else:
            start_session(current_user._get_current_object())
            flash("密码已修改，其他设备上的登录已失效", "success")
            return redirect(url_for("home.index"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/change_password.html", form=form), status


change_password.reshows_form_on_csrf = True
