"""The 企业微信 group robot and the 钉钉 custom robot as Apprise notifications of our own.

Apprise's wecombot:// sends plain text and its dingtalk:// posts to the public host only; both
robots are reached here at whatever address the robot (or the intranet gateway in front of it)
has, with the markdown payload their APIs document:

- 企业微信: POST {"msgtype": "markdown", "markdown": {"content": ...}} to .../cgi-bin/webhook/send?key=...
- 钉钉: POST {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}} to .../robot/send?access_token=...
  with timestamp (ms) and sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))).

wxbots:// and ddbots:// are HTTPS, wxbot:// and ddbot:// plain HTTP (Apprise's json/jsons habit).
Failures are logged on Apprise's logger, where survey.notify.send captures them for the person."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from urllib.parse import quote, urlencode

import requests
from apprise.decorators import notify

log = logging.getLogger("apprise")
TIMEOUT = (4, 10)  # connect, read (seconds)
WECOM_LIMIT = 4000  # the robot's markdown content is at most 4096 bytes


def sign(secret: str, timestamp: str) -> str:
    """钉钉's signature: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, base64, url-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return quote(base64.b64encode(digest), safe="")


def _address(meta: dict, secure: bool, query: dict) -> str:
    host = meta["host"] + (f":{meta['port']}" if meta.get("port") else "")
    return f"{'https' if secure else 'http'}://{host}{meta.get('fullpath') or '/'}?{urlencode(query)}"


def _post(name: str, url: str, payload: dict, verify: bool) -> bool:
    shown = url.split("?", 1)[0]
    try:
        reply = requests.post(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                              headers={"Content-Type": "application/json; charset=utf-8"},
                              timeout=TIMEOUT, verify=verify)
    except requests.RequestException as exc:
        log.warning("%s 无法连接 %s：%s", name, shown, type(exc).__name__)
        return False
    if reply.status_code >= 400:
        log.warning("%s 返回 HTTP %s（%s）", name, reply.status_code, shown)
        return False
    try:
        answer = reply.json()
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        log.warning("%s 拒绝消息：errcode %s %s", name, answer.get("errcode"), str(answer.get("errmsg", ""))[:200])
        return False
    return True


def _wecom(body: str, title: str, meta: dict, secure: bool) -> bool:
    content = (f"**{title}**\n{body}" if title else body).encode("utf-8")[:WECOM_LIMIT].decode("utf-8", "ignore")
    query = {k: v for k, v in meta.get("qsd", {}).items() if k == "key"}
    payload = {"msgtype": "markdown", "markdown": {"content": content}}
    return _post("企业微信机器人", _address(meta, secure, query), payload, meta.get("verify", True))


def _dingtalk(body: str, title: str, meta: dict, secure: bool) -> bool:
    qsd = dict(meta.get("qsd", {}))
    secret = qsd.pop("secret", "")
    query = {"access_token": qsd.get("access_token", "")}
    url = _address(meta, secure, query)
    if secret:
        timestamp = str(round(time.time() * 1000))
        url += f"&timestamp={timestamp}&sign={sign(secret, timestamp)}"
    payload = {"msgtype": "markdown", "markdown": {"title": title or "消息", "text": f"#### {title}\n{body}"}}
    return _post("钉钉机器人", url, payload, meta.get("verify", True))


@notify(on="wxbots", name="企业微信群机器人")
def wecom_https(body, title, notify_type, meta, *args, **kwargs):
    return _wecom(body, title, meta, True)


@notify(on="wxbot", name="企业微信群机器人（HTTP）")
def wecom_http(body, title, notify_type, meta, *args, **kwargs):
    return _wecom(body, title, meta, False)


@notify(on="ddbots", name="钉钉自定义机器人")
def dingtalk_https(body, title, notify_type, meta, *args, **kwargs):
    return _dingtalk(body, title, meta, True)


@notify(on="ddbot", name="钉钉自定义机器人（HTTP）")
def dingtalk_http(body, title, notify_type, meta, *args, **kwargs):
    return _dingtalk(body, title, meta, False)
