from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from forms import BaseForm
from survey.notices.numbering import NOTICE_KINDS


class NoticeTemplateForm(BaseForm):
    """An administrator's replacement .docx template for one kind of notice."""

    kind = SelectField("文书种类", choices=[(k.key, k.title) for k in NOTICE_KINDS.values()],
                       validate_choice=True)
    file = FileField("模板文件 (.docx)", validators=[FileRequired("请选择要上传的 .docx 模板文件")],
                     description="在 WPS 或 Word 中编辑本页下载的模板，保留 {{ 字段名 }}，另存为 .docx 后上传。")
