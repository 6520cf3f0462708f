"""Is a page inert? Parse it as a browser would and list anything that could run or navigate:
inline scripts, event-handler attributes, javascript:/vbscript:/data:text/html URLs, meta
refresh, <base>, frames and plugins."""
from __future__ import annotations

import re
from html.parser import HTMLParser

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset"}
FORBIDDEN_TAGS = {"iframe", "frame", "object", "embed", "base", "applet"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data:text/html|livescript)", re.I)
INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


class InertnessChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self._script_has_src = False

    def handle_starttag(self, tag, attrs):
        attrs = [(name.lower(), value or "") for name, value in attrs]
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "script":
            self._in_script, self._script_has_src = True, any(n == "src" for n, _ in attrs)
            src = dict(attrs).get("src", "")
            if src and not src.startswith("/"):
                self.problems.append(f"script from {src}")
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "refresh":
            self.problems.append("meta refresh")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRS and BAD_SCHEME.match(INVISIBLE.sub("", value)):
                self.problems.append(f"<{tag} {name}={value[:40]}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and not self._script_has_src and data.strip():
            # JSON data islands are allowed; anything else inline is a script
            self.problems.append(f"inline script: {data.strip()[:60]}")


def problems(html: str) -> list[str]:
    checker = InertnessChecker()
    checker.feed(html)
    checker.close()
    return checker.problems
