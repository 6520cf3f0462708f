from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from forms import BaseForm
from forms.admin import required
from survey.ledger.categories import choices as category_choices
from survey.ledger.transitions import BULK_ACTIONS, TRANSITIONS
from survey.models.questionnaire import SEVERITIES

DATE = {"format": "%Y-%m-%d", "validators": [Optional()]}


class ProblemActionForm(BaseForm):
    """Every transition's inputs; the domain function says which it needs."""

    lock_version = HiddenField()
    comment = TextAreaField("理由 / 说明", validators=[Optional(), Length(max=2000)])
    measures = TextAreaField("整改措施", validators=[Optional(), Length(max=5000)])
    responsible_person = StringField("责任人", validators=[Optional(), Length(max=64)])
    planned_on = DateField("计划完成日期", **DATE)
    progress = TextAreaField("整改进展", validators=[Optional(), Length(max=5000)])
    result = TextAreaField("完成情况", validators=[Optional(), Length(max=5000)])
    new_deadline = DateField("申请延期至", **DATE)
    deadline = DateField("整改时限", **DATE)
    category = SelectField("问题类别", choices=lambda: category_choices(blank=""), validate_choice=False)


class NewProblemForm(BaseForm):
    round_id = SelectField("检查批次", coerce=int, validate_choice=False)
    unit_id = SelectField("责任单位", coerce=int, validate_choice=False)
    category = SelectField("问题类别", choices=category_choices)
    description = TextAreaField("问题描述", validators=[*required("请填写问题描述"), Length(max=2000)])
    severity = SelectField("严重程度", choices=[(s, s) for s in SEVERITIES])
    found_on = DateField("发现时间", format="%Y-%m-%d", validators=[Optional()])
    deadline = DateField("整改时限", **DATE)
    on_site_result = TextAreaField("立行立改：现场整改情况（填写则直接销号）", validators=[Optional(), Length(max=2000)])


class BulkForm(BaseForm):
    action = SelectField("批量操作", choices=[(name, TRANSITIONS[name].label) for name in BULK_ACTIONS])
    deadline = DateField("整改时限", **DATE)
    category = SelectField("问题类别", choices=lambda: category_choices(blank=""), validate_choice=False)
