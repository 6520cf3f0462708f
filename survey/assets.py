"""Static files under content-hashed names with long cache lifetimes."""
from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import Path

from urllib.parse import quote

from flask import Flask, Response, abort, request, url_for
from markupsafe import Markup

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
YEAR = 365 * 24 * 3600


# Scripts a page needs together, served as one file (one request on a weak signal).
BUNDLES = {
    "js/fill.bundle.js": ("js/app.js", "js/expr.js", "js/form.js", "js/photos.js", "js/fill.js",
                          "js/confirm_submit.js"),
    "js/preview.bundle.js": ("js/app.js", "js/expr.js", "js/form.js"),
}


class Assets:
    """Loads static/ once; serves `name.<hash>.ext` as immutable, plain names briefly."""

    def __init__(self, folder: Path) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                self._add(rel, path.read_bytes())
        for name, parts in BUNDLES.items():
            self._add(name, b";\n".join(self.files[p][0] for p in parts if p in self.files))

    def _add(self, rel: str, data: bytes) -> None:
        self.files[rel] = (data, hashlib.sha256(data).hexdigest()[:10])

    def text(self, rel: str) -> str:
        return self.files[rel][0].decode()

    def hashed_name(self, filename: str) -> str:
        data_digest = self.files.get(filename)
        if data_digest is None:
            raise KeyError(f"no static file {filename}")
        stem, dot, ext = filename.rpartition(".")
        return f"{stem}.{data_digest[1]}.{ext}"

    def lookup(self, requested: str) -> tuple[bytes, bool] | None:
        match = HASHED.match(requested)
        if match:
            entry = self.files.get(match["stem"] + match["ext"])
            if entry:
                # A page cached before a deploy may ask for an older hash: serve the
                # current file, but only cache it briefly.
                return entry[0], entry[1] == match["digest"]
        entry = self.files.get(requested)
        return (entry[0], False) if entry else None


def init_assets(app: Flask, folder: Path) -> None:
    assets = Assets(folder)

    def serve(filename: str):
        found = assets.lookup(filename)
        if found is None:
            abort(404)
        data, immutable = found
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        resp = Response(data, mimetype=mimetype)
        resp.cache_control.public = True
        resp.cache_control.max_age = YEAR if immutable else 300
        if immutable:
            resp.cache_control.immutable = True
        resp.set_etag(hashlib.sha256(data).hexdigest()[:16])
        return resp.make_conditional(request)

    serve.access = "public"
    app.add_url_rule("/static/<path:filename>", "assets", serve)
    app.jinja_env.globals["asset_url"] = lambda name: url_for("assets", filename=assets.hashed_name(name))
    # Small SVGs go inline (no request): the icon sprite in the page, the favicon as a data URI.
    app.jinja_env.globals["inline_svg"] = lambda name: Markup(assets.text(name))
    app.jinja_env.globals["svg_data_uri"] = lambda name: "data:image/svg+xml," + quote(assets.text(name).strip())
