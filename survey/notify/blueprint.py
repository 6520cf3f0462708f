"""The channels blueprint (管理 → 消息渠道, 发送失败). Its routes are in views.py."""
from flask import Blueprint

bp = Blueprint("notify", __name__, url_prefix="/admin")
