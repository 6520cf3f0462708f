"""Rounds and filling: unit self-checks and on-site visits on phones."""
from flask import Blueprint

from survey.questionnaires.display import answer_text

bp = Blueprint("filling", __name__)
bp.add_app_template_filter(answer_text, "answer_text")   # {{ question|answer_text(value, version) }}

from survey.filling import views_fill, views_photos, views_rounds  # noqa: E402,F401
