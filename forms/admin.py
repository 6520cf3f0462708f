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


EMAIL = Regexp(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$", message="电子邮箱格式不正确，例如 name@example.gov.cn")
IM_ID = Regexp(r"^[A-Za-z0-9_.@\-+]{1,64}$", message="只能包含字母、数字和 _ . @ - +，不超过 64 位")
CONTACT_ROLES = (("leader", "分管领导"), ("head", "主要负责人"))
CONTACT_FIELDS = ("name", "phone", "email", "wecom_id", "dingtalk_id")


def _contact_fields(role: str, label: str) -> dict:
    return {
        f"{role}_name": StringField(f"{label}姓名", validators=[Optional(), Length(max=64, message="姓名不超过 64 个字")]),
        f"{role}_phone": StringField(f"{label}电话", validators=[Optional(), PHONE], render_kw={"inputmode": "tel"}),
        f"{role}_email": StringField(f"{label}电子邮箱", validators=[Optional(), Length(max=254), EMAIL],
                                     render_kw={"inputmode": "email", "autocapitalize": "none"}),
        f"{role}_wecom_id": StringField(f"{label}企业微信账号", validators=[Optional(), IM_ID],
                                        render_kw={"autocapitalize": "none"}),
        f"{role}_dingtalk_id": StringField(f"{label}钉钉账号", validators=[Optional(), IM_ID],
                                           render_kw={"autocapitalize": "none"}),
    }


class UnitForm(BaseForm):
    name = StringField("单位名称", validators=[*required("请输入单位名称"), Length(max=100)])
    category = SelectField("单位类别", choices=[(c, c) for c in UNIT_CATEGORIES])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Optional(), PHONE],
                                render_kw={"inputmode": "tel"})

    def contact_values(self) -> dict[str, dict[str, str]]:
        """{role: {name, phone, email, wecom_id, dingtalk_id}} as typed (stripped)."""
        return {role: {f: (getattr(self, f"{role}_{f}").data or "").strip() for f in CONTACT_FIELDS}
                for role, _ in CONTACT_ROLES}


for _role, _label in CONTACT_ROLES:  # leader_name, leader_phone, ..., head_dingtalk_id
    for _name, _field in _contact_fields(_role, _label).items():
        setattr(UnitForm, _name, _field)


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
