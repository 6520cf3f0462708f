"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, request
from flask_login import current_user

from survey.clock import CHINA


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime(fmt)


def _item(endpoint: str, label: str, icon: str, *match: str) -> dict:
    return {"endpoint": endpoint, "label": label, "icon": icon, "match": match or (endpoint,)}


def nav_items(compact: bool = False) -> list[dict]:
    """The bottom bar on phones (compact) and the top bar on wide screens, by role."""
    if not current_user.is_authenticated:
        return []
    items = [_item("home.index", "首页", "home", "home.")]
    if not current_user.is_liaison:
        items.append(_item("filling.rounds", "批次", "log", "filling."))
    items.append(_item("ledger.index", "台账", "form", "ledger."))  # its badge: the ledger's todo_badge()
    if current_user.is_inspector or (current_user.is_admin and not compact):  # admins' phones: home links it
        items.append(_item("dashboard.index", "看板", "chart", "dashboard."))
    if current_user.is_admin:
        if compact:
            items += [_item("admin.hub", "管理", "unit", "admin.", "questionnaires.")]
        else:
            items += [_item("admin.units", "单位", "unit", "admin.unit"),
                      _item("admin.groups", "督导组", "group", "admin.group"),
                      _item("admin.users", "用户", "user", "admin.user"),
                      _item("questionnaires.index", "问卷", "form", "questionnaires."),
                      _item("admin.audit", "日志", "log", "admin.audit")]
    items.append(_item("inbox.index", "消息", "bell", "inbox."))  # its badge: the inbox's inbox_badge()
    items.append(_item("auth.account", "我的", "me", "auth.account", "auth.change_password"))
    current = request.endpoint or ""
    for item in items:
        item["active"] = current.startswith(item["match"])
    return items


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["reject_page"] = lambda args: {k: v for k, v in args.items() if k != "page"}
    app.jinja_env.filters["score_option"] = lambda v: {"name": v, "label": v}
    app.json.ensure_ascii = False
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["district_name"] = app.config.get("DISTRICT_NAME", "")
