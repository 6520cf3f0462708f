"""Rounds and filling: unit self-checks and on-site visits on phones."""
from flask import Blueprint

bp = Blueprint("filling", __name__)

from survey.filling import views_fill, views_photos, views_rounds  # noqa: E402,F401
