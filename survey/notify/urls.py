"""A channel's Apprise URL: what an administrator may type for each kind, the URL stored, and the
masked form shown back (never the secrets whole)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise

from survey.errors import DomainError
from survey.models import ChannelKind
from survey.notify import robots  # noqa: F401  (registers wxbot(s):// and ddbot(s):// with Apprise)

# Per kind: the schemes stored, and the plain web addresses turned into them.
SCHEMES = {
    ChannelKind.EMAIL: ("mailto", "mailtos"),
    ChannelKind.WECOM: ("wxbot", "wxbots"),
    ChannelKind.DINGTALK: ("ddbot", "ddbots"),
    ChannelKind.WEBHOOK: ("json", "jsons"),
}
HINTS = {
    ChannelKind.EMAIL: "mailto://用户名:密码@smtp.example.gov.cn:25?from=督办平台<noreply@example.gov.cn>&to=收件人@example.gov.cn"
                       "（mailtos:// 为加密连接）",
    ChannelKind.WECOM: "企业微信群机器人的 Webhook 地址：https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
    ChannelKind.DINGTALK: "钉钉自定义机器人的 Webhook 地址：https://oapi.dingtalk.com/robot/send?access_token=…，"
                          "加签密钥（SEC 开头）填在下面",
    ChannelKind.WEBHOOK: "政务平台接口地址：https://…（以 JSON 发送 title、message）",
}
SECRET_KEYS = {"key", "access_token", "secret", "token", "pass", "password"}


def _bad(message: str) -> DomainError:
    return DomainError(message, field="url")


def normalize(kind: ChannelKind, url: str, secret: str = "") -> str:
    """The Apprise URL to store for what was typed; a DomainError on the url field otherwise."""
    url = (url or "").strip()
    if not url:
        raise _bad("请填写渠道地址")
    if len(url) > 2000 or any(c.isspace() for c in url):
        raise _bad("地址不能含空格或换行，长度不超过 2000 个字符")
    parts = urlsplit(url)
    plain, tls = SCHEMES[kind]
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and kind != ChannelKind.EMAIL:
        scheme = tls if scheme == "https" else plain
    if scheme not in (plain, tls):
        raise _bad(f"{kind.label}的地址格式不对。示例：{HINTS[kind]}")
    if not parts.hostname:
        raise _bad("地址缺少主机名")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if kind == ChannelKind.WECOM and not query.get("key"):
        raise _bad("企业微信机器人地址缺少 key 参数（…/webhook/send?key=…）")
    if kind == ChannelKind.DINGTALK:
        if not query.get("access_token"):
            raise _bad("钉钉机器人地址缺少 access_token 参数（…/robot/send?access_token=…）")
        secret = (secret or "").strip() or query.get("secret", "")
        if secret and not secret.startswith("SEC"):
            raise DomainError("钉钉加签密钥以 SEC 开头，请从机器人设置页复制", field="secret")
        query = {k: v for k, v in query.items() if k != "secret"} | ({"secret": secret} if secret else {})
    stored = urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), ""))
    if apprise.Apprise.instantiate(stored) is None:
        raise _bad(f"{kind.label}的地址无法识别。示例：{HINTS[kind]}")
    return stored


def secret_of(url: str) -> str:
    return dict(parse_qsl(urlsplit(url).query)).get("secret", "")


def _hide(value: str) -> str:
    return (value[:3] + "…" + "*" * 4) if len(value) > 6 else "****"


def masked(url: str) -> str:
    """The URL with its password, keys, tokens and secret cut short: safe to show back."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:****@{host}" if ":" in userinfo else f"{user}@{host}"
    query = [(k, _hide(v) if k.lower() in SECRET_KEYS else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(f"{k}={v}" for k, v in query), ""))
