from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from forms import BaseForm
from survey.models import ROLE_CHOICES, UNIT_CATEGORIES



def required(message: str) -> list:
    """Present in the post (not taken from the edited object) and not blank."""
    return [InputRequired(message), DataRequired(message)]


PHONE = Regexp(r"^[0-9+\-\s()（）转]{5,32}$", message="电话号码格式不正确")
USERNAME = Regexp(r"^[A-Za-z0-9_.\-]{3,64}$", message="用户名为 3–64 位字母、数字或 _ . -")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # unknown ids are reported by the domain
        pass


class UnitForm(BaseForm):
    name = StringField("单位名称", validators=[*required("请输入单位名称"), Length(max=100)])
    category = SelectField("单位类别", choices=[(c, c) for c in UNIT_CATEGORIES])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Optional(), PHONE],
                                render_kw={"inputmode": "tel"})


class EditUnitForm(UnitForm):
    is_disabled = BooleanField("停用该单位", description="停用后不再纳入新的检查批次，历史记录保留")


class UnitImportForm(BaseForm):
    file = FileField("Excel 文件 (.xlsx)", validators=[
        FileRequired("请选择要上传的文件"), FileAllowed(["xlsx"], "只能上传 .xlsx 文件")])


class GroupForm(BaseForm):
    name = StringField("督导组名称", validators=[*required("请输入督导组名称"), Length(max=64)])
    member_ids = MultiCheckboxField("成员", coerce=int)
    unit_ids = MultiCheckboxField("负责单位", coerce=int)


class UserForm(BaseForm):
    username = StringField("用户名", validators=[*required("请输入用户名"), USERNAME],
                           render_kw={"autocapitalize": "none"})
    display_name = StringField("姓名", validators=[*required("请输入姓名"), Length(max=64)])
    phone = StringField("手机号", validators=[Optional(), PHONE], render_kw={"inputmode": "tel"})
    role = SelectField("角色", choices=ROLE_CHOICES)
    unit_id = SelectField("所属单位（联络员）", coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                          validate_choice=False)
    group_ids = MultiCheckboxField("所在督导组（督导组成员）", coerce=int)
    password = PasswordField("初始密码", validators=[DataRequired("请输入初始密码")],
                             description="用户首次登录时须修改密码",
                             render_kw={"autocomplete": "new-password"})


class EditUserForm(UserForm):
    username = None
    password = None


class ResetPasswordForm(BaseForm):
    password = PasswordField("临时密码", validators=[DataRequired("请输入临时密码")],
                             description="用户下次登录时须修改密码",
                             render_kw={"autocomplete": "new-password"})


class CategoryForm(BaseForm):
    name = StringField("类别名称", validators=[*required("请填写类别名称"), Length(max=32, message="类别名称不能超过 32 个字")])
