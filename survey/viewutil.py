"""Small helpers views share: the request's one commit (committing, json_action, submit), page numbers.

Operations flush and never commit or roll back; a view ends its unit of work here and nowhere else.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from urllib.parse import urlsplit

from flask import jsonify, request
from sqlalchemy.orm.exc import StaleDataError
from wtforms import Form

from survey.errors import STALE_MESSAGE, DomainError, StaleConflict
from survey.extensions import db


@contextmanager
def committing() -> Iterator[None]:
    """Run the body, then commit: the request's one commit. Anything raised rolls back first, so
    nothing is stored half way. Losing an optimistic lock at commit (StaleDataError) is raised as the
    StaleConflict (409) it is, which a view answers like any other refusal."""
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleConflict(STALE_MESSAGE) from exc
    except BaseException:
        db.session.rollback()
        raise


def json_action(action: Callable[[], object]):
    """The JSON variant: action() builds the response, which is sent once the work is committed; a
    refusal is answered with json_refusal, nothing stored."""
    try:
        with committing():
            return action()
    except DomainError as exc:
        return json_refusal(exc)


def json_refusal(exc: DomainError):
    """{"error": "forbidden" | "too_large" | "conflict" | "refused", "message", "field"} with its status."""
    code = {403: "forbidden", 409: "conflict", 413: "too_large"}.get(exc.status, "refused")
    return jsonify(error=code, message=exc.message, field=exc.field), exc.status


def commit() -> None:
    """Commit what a refusal must keep (a failed login's counter, a refused link's audit row)."""
    db.session.commit()


def end_reading() -> None:
    """End the request's read transaction (and SQLite's lock) before slow work: nothing was written."""
    db.session.rollback()


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
        with committing():
            action()
    except DomainError as exc:
        add_error(form, exc.field, exc.message)
        return False, exc.status if exc.status != 400 else 422
    return True, 200


def page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 100000))
    except ValueError:
        return 1


def local_path(target: str | None, fallback: str) -> str:
    """target when it is a path on this site, else fallback: never follow a link to another host
    (login's next=, a message's link)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target
