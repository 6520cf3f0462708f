from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from forms import BaseForm


class LedgerImportForm(BaseForm):
    round_id = SelectField("导入到检查批次", coerce=int, validators=[InputRequired("请选择检查批次")],
                           description="导入的问题属于该批次，并按批次顺序编号")
    file = FileField("台账文件 (.xlsx，不超过 5 MB)", validators=[
        FileRequired("请选择要上传的台账文件"),
        FileAllowed(["xlsx"], "只能上传 .xlsx 文件（.xls 等旧格式请先在 Excel 中另存为 .xlsx）")])


class LedgerConfirmForm(BaseForm):
    """Posts back the id of the file kept since the preview."""

    token = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9a-f]{32}$")])
    round_id = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,9}$")])
    filename = HiddenField(validators=[Optional(), Length(max=255)])
