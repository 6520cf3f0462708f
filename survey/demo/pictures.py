"""Generated pictures for the demo: on-site photos and rectification evidence (Pillow, no files
shipped). Deterministic for a given seed."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from survey import clock

PALETTES = [((214, 226, 240), (64, 96, 160)), ((232, 222, 206), (150, 90, 40)),
            ((220, 236, 222), (40, 120, 70)), ((240, 220, 220), (170, 40, 40))]


def photo(rng: random.Random, label: str, size: tuple[int, int] = (400, 300)) -> bytes:
    """A JPEG that looks like a photo of a notice board: a wall, a board, lines of 'text'."""
    wall, ink = rng.choice(PALETTES)
    image = Image.new("RGB", size, wall)
    draw = ImageDraw.Draw(image)
    w, h = size
    for y in range(0, h, 6):  # a soft vertical gradient
        shade = int(18 * y / h)
        draw.line([(0, y), (w, y)], fill=tuple(max(0, c - shade) for c in wall), width=6)
    left, top = rng.randint(w // 16, w // 6), rng.randint(h // 12, h // 7)
    draw.rectangle([left, top, w - left, h - top], fill=(250, 250, 246), outline=ink, width=4)
    draw.rectangle([left, top, w - left, top + 36], fill=ink)
    draw.text((left + 12, top + 12), label[:40], fill=(255, 255, 255))
    for row in range(top + 52, h - top - 16, 18):
        draw.rectangle([left + 16, row, left + 16 + rng.randint(w // 4, w - 2 * left - 32), row + 7],
                       fill=(120, 120, 120))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def document_pdf(rng: random.Random, label: str) -> bytes:
    """A one-page PDF 'scan' of a rectification report, dated by the (demo's) clock."""
    buf = io.BytesIO()
    when = clock.utcnow().utctimetuple()
    Image.open(io.BytesIO(photo(rng, label, (297, 420)))).save(buf, "PDF", resolution=72, creationDate=when,
                                                                modDate=when)
    return buf.getvalue()
