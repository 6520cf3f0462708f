"""gunicorn's access log without credentials: a unit link's token (/l/<token>) and query values
whose names say token, password or key are replaced by *** (gunicorn.conf.py sets logger_class)."""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

LINK_TOKEN = re.compile(r"(/l/)(?!leave\b)[^/?#\s\"]+")
SECRET_QUERY = re.compile(r"((?:^|[?&])[^=&\s\"]*(?:token|password|passwd|secret|key|nonce)[^=&\s\"]*=)[^&\s\"]*", re.I)


def redact(text: str) -> str:
    return SECRET_QUERY.sub(r"\1***", LINK_TOKEN.sub(r"\1***", text))


class RedactingLogger(Logger):
    """The default access log format, its request line, path and query redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
