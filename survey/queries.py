"""Reads shared by every feature."""
from __future__ import annotations

from flask import abort

from survey.extensions import db


def get_or_404(model, key):
    """The row with this primary key, or a 404 page."""
    obj = db.session.get(model, key)
    if obj is None:
        abort(404)
    return obj
