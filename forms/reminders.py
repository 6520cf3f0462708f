from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from forms import BaseForm


class CalendarDayForm(BaseForm):
    day = DateField("日期", validators=[InputRequired("请选择日期")], format="%Y-%m-%d",
                    render_kw={"type": "date"})
    kind = SelectField("类型", choices=[("off", "本地休息日"), ("work", "本地调休上班")])
    note = StringField("说明", validators=[Optional(), Length(max=100)])


class ActionForm(BaseForm):
    """A button's form: the CSRF token only."""
