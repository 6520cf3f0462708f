"""WTForms classes: input shape only. Rules that need state live in survey/."""
from flask_wtf import FlaskForm


class BaseForm(FlaskForm):
    """Built-in validator messages in Chinese (WTForms ships a zh catalogue)."""

    class Meta:
        locales = ("zh",)

    CSRF_MESSAGE = "页面已过期或安全令牌无效，已保留您填写的内容，请重新提交"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(self, "csrf_token", None) is not None:
            self.csrf_token.id = False  # the hidden field renders without id: a page of many forms repeats none

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if getattr(self, "csrf_token", None) is not None and self.csrf_token.errors:
            self.csrf_token.errors = [self.CSRF_MESSAGE]
        return ok

    @property
    def csrf_failed(self) -> bool:
        return bool(getattr(self, "csrf_token", None) is not None and self.csrf_token.errors)
