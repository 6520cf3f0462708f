from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from forms import BaseForm


class LoginForm(BaseForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "新密码", validators=[DataRequired("请输入新密码"), Length(max=128)],
        description="至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类",
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(
        "确认新密码", validators=[DataRequired("请再次输入新密码"),
                             EqualTo("new_password", "两次输入的新密码不一致")],
        render_kw={"autocomplete": "new-password"})


class ActionForm(BaseForm):
    """A button that posts (logout, disable, ...): CSRF only."""
