"""Text that cannot be stored or shown (issue 12): refused once, at the request boundary, and never
fatal when it is already stored.

A lone UTF-16 surrogate ("\\ud800", which JSON can carry as an escape) cannot be encoded as UTF-8:
stored, it made every page that showed it answer 500. NUL is no text either (PostgreSQL refuses
it, SQLite's full-text search choked on it). Every query string, form field, JSON body and upload
file name is checked here, names and values, before any view runs; templates replace such
characters when they meet them in data stored before this check existed."""
from __future__ import annotations

import re
from collections.abc import Iterator

from flask import request
from markupsafe import Markup

from survey.errors import DomainError

INVALID_TEXT = "提交的内容含有无效字符（控制字符或不完整的特殊字符），请删除后重试"
BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _strings(value) -> Iterator[str]:
    """Every string in a parsed JSON document, keys included, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _request_strings() -> Iterator[str]:
    for multi in (request.args, request.form):
        for key, values in multi.lists():
            yield key
            yield from values
    for key, upload in request.files.items(multi=True):
        yield key
        yield upload.filename or ""
    if request.is_json:
        yield from _strings(request.get_json(silent=True))


def refuse_invalid_text() -> None:
    """before_request: a 400 with a Chinese message when the request carries such text."""
    if any(BAD_CHARS.search(text) for text in _request_strings()):
        raise DomainError(INVALID_TEXT)


def displayable(value):
    """Jinja finalize: stored text with such characters is shown with U+FFFD in their place."""
    if isinstance(value, str) and BAD_CHARS.search(value):
        cleaned = BAD_CHARS.sub(REPLACEMENT, value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value
