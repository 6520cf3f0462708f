"""Channel forms (管理 → 消息渠道): input shape only; survey.notify.urls checks the address."""
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Length, Optional

from forms import BaseForm
from survey.models import ChannelKind


class ChannelForm(BaseForm):
    kind = SelectField("渠道类型", choices=[(k.value, k.label) for k in ChannelKind])
    label = StringField("名称", validators=[Optional(), Length(max=64, message="名称不能超过 64 个字")],
                        description="便于辨认，如“办公室工作群”")
    url = StringField("地址", validators=[Length(max=2000, message="地址不能超过 2000 个字符")],
                      render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"})
    secret = PasswordField("钉钉加签密钥", validators=[Optional(), Length(max=200, message="密钥过长")],
                           description="仅钉钉机器人需要；修改时留空则保留原密钥",
                           render_kw={"autocomplete": "new-password"})


class EditChannelForm(ChannelForm):
    """Changing a channel: its kind stays; a blank address keeps the stored one."""
    kind = None
