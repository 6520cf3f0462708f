"""Administration: units, supervision groups, users and the audit log."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from survey.admin import views_audit, views_categories, views_groups, views_units, views_users  # noqa: E402,F401
