"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask, request
from flask_login import current_user

from survey import permissions

CHINA = timezone(timedelta(hours=8), "CST")


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime(fmt)


def nav_items() -> list[dict]:
    """The bottom bar on phones and the top bar on wide screens, by role."""
    if not current_user.is_authenticated:
        return []
    items = [{"endpoint": "home.index", "label": "首页", "icon": "home", "match": ("home.",)}]
    if current_user.is_admin:
        items += [
            {"endpoint": "admin.units", "label": "单位", "icon": "unit", "match": ("admin.unit",)},
            {"endpoint": "admin.groups", "label": "督导组", "icon": "group", "match": ("admin.group",)},
            {"endpoint": "admin.users", "label": "用户", "icon": "user", "match": ("admin.user",)},
            {"endpoint": "admin.audit", "label": "日志", "icon": "log", "match": ("admin.audit",)},
        ]
    items.append({"endpoint": "auth.account", "label": "我的", "icon": "me",
                  "match": ("auth.account", "auth.change_password")})
    current = request.endpoint or ""
    for item in items:
        item["active"] = current.startswith(item["match"])
    return items


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["reject_page"] = lambda args: {k: v for k, v in args.items() if k != "page"}
    app.json.ensure_ascii = False
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["can_manage"] = permissions.can_manage
    app.jinja_env.globals["district_name"] = app.config.get("DISTRICT_NAME", "")
