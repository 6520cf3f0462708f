from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from forms import BaseForm
from forms.admin import MultiCheckboxField, required


def _days() -> dict:
    return {"validators": [InputRequired("请填写天数"), NumberRange(1, 365, "应为 1–365 天")],
            "render_kw": {"inputmode": "numeric", "min": 1, "max": 365}}


class RoundForm(BaseForm):
    name = StringField("批次名称", validators=[*required("请输入批次名称"), Length(max=100)],
                       render_kw={"placeholder": "如：2023年廉洁机关建设上门问诊"})
    code = StringField("问题编号前缀", validators=[*required("请输入编号前缀"),
                                                 Regexp(r"^[A-Za-z0-9-]{1,16}$", message="只能是字母、数字和 -，最多 16 位")],
                       description="本批次发现的问题编号为 前缀-001、前缀-002…",
                       render_kw={"placeholder": "2023"})
    starts_on = DateField("开始日期", validators=[Optional()], format="%Y-%m-%d")
    ends_on = DateField("结束日期", validators=[Optional()], format="%Y-%m-%d")
    self_check_deadline = DateField("自查截止日期", validators=[Optional()], format="%Y-%m-%d")
    self_check_version_id = SelectField("自查表", coerce=int, validate_choice=False)
    onsite_version_id = SelectField("上门问诊记录表", coerce=int, validate_choice=False)
    scope = SelectField("单位范围", choices=[("all", "全部单位"), ("category", "按单位类别"), ("picked", "逐个选择")])
    categories = SelectMultipleField("单位类别", validate_choice=False)
    unit_ids = MultiCheckboxField("单位", coerce=int)
    # 默认整改时限 per severity (survey.models.round.DEADLINE_DAYS_COLUMNS): days after a problem is found
    deadline_days_general = IntegerField("“一般”问题默认整改时限（天）", default=30, **_days())
    deadline_days_major = IntegerField("“较重”问题默认整改时限（天）", default=20, **_days())
    deadline_days_severe = IntegerField("“严重”问题默认整改时限（天）", default=10, **_days())


class ReopenForm(BaseForm):
    reason = TextAreaField("退回理由", validators=[*required("请填写退回理由"), Length(max=500)])
