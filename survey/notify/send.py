"""Carry one message over one channel through Apprise, and say in Chinese what failed."""
from __future__ import annotations

import re

import apprise

from survey.notify import robots  # noqa: F401  (registers wxbot(s):// and ddbot(s):// with Apprise)

_STAMP = re.compile(r"^\S+ \S+ - (WARNING|ERROR) - ", re.M)


def send(url: str, title: str, body: str) -> str:
    """Send now; "" when it went, else what the channel or the connection said (no secrets)."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return "渠道地址无法识别"
    with apprise.LogCapture(level=apprise.logging.WARNING) as log:
        try:
            ok = bool(notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))
        except Exception as exc:  # a plugin's bug must not stop the other channels
            return f"发送出错：{type(exc).__name__}"
        said = log.getvalue()
    if ok:
        return ""
    lines = [_STAMP.sub("", line).strip() for line in said.splitlines() if line.strip()]
    return _explain("；".join(dict.fromkeys(lines))[:500] or "发送失败（渠道未说明原因）")


_HTTP = re.compile(r"error=(\d{3})")


def _explain(text: str) -> str:
    code = _HTTP.search(text)
    if code:
        return f"接口返回 HTTP {code.group(1)}：{text}"
    if "A Connection error occurred" in text:
        return "无法连接接口：" + text
    if "Connection error while submitting email" in text or "Could not connect" in text:
        return "无法连接邮件服务器（SMTP）：" + text
    if "authentication" in text.lower():
        return "邮件服务器拒绝了用户名或密码：" + text
    return text
