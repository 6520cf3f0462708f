"""The token a signed unit link carries: (link id, nonce), signed with the app's secret key.

The nonce is the secret that matters: a token is good only while its nonce is the link row's
current one, so issuing the link again (a new nonce) retires every earlier copy at once. The
signature makes a guessed or edited token fail before the database is asked."""
from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

SALT = "survey.unit-link.v1"
MAX_TOKEN_LENGTH = 200


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def make_token(link_id: int, nonce: str) -> str:
    return _serializer().dumps([link_id, nonce])


def read_token(token: str) -> tuple[int, str] | None:
    """(link id, nonce) from a token this app signed, or None for anything else."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        data = _serializer().loads(token)
    except BadData:
        return None
    if (isinstance(data, list) and len(data) == 2 and type(data[0]) is int and isinstance(data[1], str)
            and data[1]):
        return data[0], data[1]
    return None
