"""The working-day calendar's admin page (管理 → 工作日历). Routes in views.py."""
from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")
