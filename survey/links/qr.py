"""QR codes as inline SVG, made on the server (segno): no image request, no external service."""
from __future__ import annotations

from functools import lru_cache

import segno
from markupsafe import Markup


@lru_cache(maxsize=1024)
def qr_svg(data: str) -> Markup:
    """An SVG drawing of data's QR code (error correction M, the quiet zone of
    4 modules the standard asks for), sized by CSS through its viewBox."""
    code = segno.make(data, error="m", micro=False)
    return Markup(code.svg_inline(border=4, omitsize=True, svgclass="qr", lineclass="qr-line", dark="#000"))
