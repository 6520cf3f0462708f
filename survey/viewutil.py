"""Small helpers views share: run a form's action, page numbers."""
from __future__ import annotations

from typing import Callable

from flask import request
from wtforms import Form

from survey.errors import DomainError
from survey.extensions import db


def form_view(view: Callable) -> Callable:
    """The view re-shows its form, with what was typed, when the CSRF token fails."""
    view.reshows_form_on_csrf = True
    return view


def writes(view: Callable) -> Callable:
    """A GET that may write (creates a row on first open): take SQLite's write lock at BEGIN."""
    view.writes = True
    return view


def reads_first(view: Callable) -> Callable:
    """A POST whose slow part (reading and checking an upload) comes before its writes: it starts
    read-only and calls survey.database.begin_writing() just before writing (SQLite's write lock
    is then never held while images are decoded)."""
    view.reads_first = True
    return view


def add_error(form: Form, field_name: str | None, message: str) -> None:
    field = getattr(form, field_name, None) if field_name else None
    if field is None:
        form.form_errors.append(message)
    else:
        field.errors = list(field.errors) + [message]


def submit(form: Form, action: Callable[[], object]) -> tuple[bool, int]:
    """Validate form, run action and commit. Errors land beside the fields; nothing is half stored."""
    if not form.validate_on_submit():
        return False, 400 if request.method == "POST" else 200
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        add_error(form, exc.field, exc.message)
        return False, exc.status if exc.status != 400 else 422
    db.session.commit()
    return True, 200


def page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 100000))
    except ValueError:
        return 1
