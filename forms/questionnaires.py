from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from forms import BaseForm
from forms.admin import required
from survey.ledger.categories import choices as category_choices
from survey.models.questionnaire import KIND_LABELS, SEVERITIES, TYPE_LABELS

KIND_CHOICES = list(KIND_LABELS.items())
EXPR_HINT = "例：${p1} = 'yes'、selected(${l2}, 'other')、. >= 0 and . <= 100"


class QuestionnaireForm(BaseForm):
    title = StringField("问卷名称", validators=[*required("请输入问卷名称"), Length(max=200)])
    kind = SelectField("用途", choices=KIND_CHOICES)


class ImportQuestionnaireForm(BaseForm):
    file = FileField("XLSForm 工作簿 (.xlsx)", validators=[
        FileRequired("请选择要上传的文件"), FileAllowed(["xlsx"], "只能上传 .xlsx 文件")])
    kind = SelectField("用途", choices=[("", "按文件 settings 表（默认通用问卷）")] + KIND_CHOICES)
    publish = BooleanField("导入后立即发布")


class SectionForm(BaseForm):
    title = StringField("部分标题", validators=[*required("请输入标题"), Length(max=200)])
    hint = TextAreaField("说明", validators=[Optional(), Length(max=2000)])
    relevant = StringField("显示条件（relevant）", validators=[Optional(), Length(max=1000)],
                           description="留空表示始终显示。" + EXPR_HINT)


class QuestionForm(BaseForm):
    name = StringField("编码（name）", validators=[*required("请输入编码"), Length(max=64)],
                       description="字母、数字、下划线，发布后作为该题的固定标识",
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    type = SelectField("题型", choices=list(TYPE_LABELS.items()))
    label = TextAreaField("题目", validators=[*required("请输入题目"), Length(max=2000)])
    hint = TextAreaField("检查要点 / 依据（hint）", validators=[Optional(), Length(max=2000)])
    required = BooleanField("必答")
    required_message = StringField("未答提示", validators=[Optional(), Length(max=200)])
    choices = TextAreaField("选项（每行一个，可写 编码=名称）", validators=[Optional(), Length(max=5000)],
                            description="仅单选、多选题使用；例：full=已全面排查")
    min_value = DecimalField("最小值", validators=[Optional()], places=None)
    max_value = DecimalField("最大值", validators=[Optional()], places=None)
    max_photos = IntegerField("最多照片数", validators=[Optional(), NumberRange(1, 20, "应在 1 到 20 之间")])
    max_points = IntegerField("满分", validators=[Optional(), NumberRange(1, 1000, "应在 1 到 1000 之间")])
    points = IntegerField("分值（计分用）", validators=[Optional(), NumberRange(0, 1000, "应在 0 到 1000 之间")])
    relevant = StringField("显示条件（relevant）", validators=[Optional(), Length(max=1000)],
                           description="留空表示始终显示。" + EXPR_HINT)
    constraint = StringField("取值约束（constraint）", validators=[Optional(), Length(max=1000)],
                             description="用 . 表示本题的回答，例：. <= 100")
    constraint_message = StringField("约束不满足时的提示", validators=[Optional(), Length(max=200)])
    problem_if = StringField("何种回答视为发现问题（problem_if）", validators=[Optional(), Length(max=1000)],
                             description="例：检查项 . = 'no'；评分 . < 6；发现问题栏 . != ''")
    problem_category = SelectField("问题类别", choices=lambda: category_choices(blank="默认（所在部分的名称）"),
                                   validate_choice=False)
    problem_severity = SelectField("严重程度", choices=[("", "默认（一般）")] + [(s, s) for s in SEVERITIES])


class MoveForm(BaseForm):
    direction = HiddenField(default="down")


class PublishForm(BaseForm):
    lock_version = HiddenField()
