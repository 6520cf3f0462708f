"""The self-check form's HTML without answers, rendered once per published version and process.

Answers, photos and the unit's own copy are applied by fill.js from the page's data (they are in
the page anyway, for autosave), so the 40-odd questions are not rendered again on every request."""
from __future__ import annotations

from flask import current_app
from markupsafe import Markup

from survey.questionnaires import cache as version_cache
from survey.questionnaires.cache import VersionView

_SKELETONS: dict[int, Markup] = {}


def form_skeleton(version: VersionView) -> Markup | None:
    if not version.is_published:
        return None
    html = _SKELETONS.get(version.id)
    if html is None:
        module = current_app.jinja_env.get_template("fill/_form.html").module
        html = Markup(module.form_body(version, {}, False, {}, {}))
        if len(_SKELETONS) > 100:
            _SKELETONS.clear()
        _SKELETONS[version.id] = html
    return html


def clear() -> None:
    _SKELETONS.clear()


version_cache.on_clear(clear)