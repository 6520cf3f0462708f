"""The weight of the demo's problem pages and visit reports: the page's HTML plus every <img> it
loads, in bytes (issue 13: a 72 px preview used to download the whole file).

    .venv/bin/python bench/page_weight.py            # this checkout
    PYTHONPATH=/path/to/other/checkout .venv/bin/python /path/to/bench/page_weight.py   # another

Builds the demo (seed-demo) in a temporary SQLite database and instance folder, logs in as admin
and prints, for the problem with the most image evidence, the median problem page with evidence
and the visit report with the most photos: HTML bytes, image bytes, total.
"""
from __future__ import annotations

import io
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageFilter  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from survey import create_app  # noqa: E402
from survey.config import TestConfig  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Evidence, Photo, Submission  # noqa: E402

IMG = re.compile(r'<img[^>]*\ssrc="([^"]+)"')


def weigh(client, url: str) -> tuple[int, int, int]:
    """(html bytes, image bytes, images) of one page as a browser would fetch it (each src once)."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    html = page.get_data()
    sources = sorted(set(s.replace("&amp;", "&") for s in IMG.findall(html.decode()) if not s.startswith("data:")))
    images = 0
    for src in sources:
        resp = client.get(src, follow_redirects=True)
        images += len(resp.get_data()) if resp.status_code == 200 else 0
    return len(html), images, len(sources)


def line(label: str, url: str, figures: tuple[int, int, int]) -> str:
    html, images, count = figures
    return (f"{label:<28} {url:<34} html {html / 1024:6.1f} KB + {count:2d} images {images / 1024:7.1f} KB"
            f" = {(html + images) / 1024:7.1f} KB")


def phone_photo(width: int = 1600, height: int = 1200) -> bytes:
    """A photo-like JPEG (blurred noise: detail a camera would record), the same bytes every run."""
    rng = random.Random(13)
    image = Image.frombytes("RGB", (width // 4, height // 4), rng.randbytes(width * height * 3 // 16))
    image = image.resize((width, height), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(1))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="page-weight-"))
    config = TestConfig(f"sqlite:///{tmp / 'demo.sqlite3'}")
    config.INSTANCE_PATH = str(tmp)
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": "admin",
                                       "password": "Demo@2026"}).status_code == 302
    with app.app_context():
        by_problem = db.session.execute(
            select(Evidence.problem_id, func.count(Evidence.id)).where(Evidence.kind.in_(("jpg", "png")))
            .group_by(Evidence.problem_id).order_by(func.count(Evidence.id).desc(), Evidence.problem_id)).all()
        visits = db.session.execute(
            select(Submission.round_id, Submission.unit_id, func.count(Photo.id)).join(Photo)
            .where(Submission.kind == "visit").group_by(Submission.id)
            .order_by(func.count(Photo.id).desc(), Submission.id)).all()
    assert by_problem, "the demo has no image evidence"
    heaviest = f"/ledger/{by_problem[0][0]}"
    print(line("problem page, most images", heaviest, weigh(client, heaviest)))
    photo = phone_photo()
    form = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(heaviest).get_data(as_text=True)).group(1)
    sent = client.post(f"{heaviest}/evidence", data={"csrf_token": form, "files": [(io.BytesIO(photo), "现场.jpg")]},
                       content_type="multipart/form-data")
    assert sent.status_code == 303, sent.status_code
    print(line(f"+ a {len(photo) // 1024} KB phone photo", heaviest, weigh(client, heaviest)))
    pages = [weigh(client, f"/ledger/{pid}") for pid, _ in by_problem]
    totals = [h + i for h, i, _ in pages]
    print(f"{'problem pages with images':<28} {len(pages):3d} pages: median {statistics.median(totals) / 1024:.1f} KB,"
          f" sum {sum(totals) / 1024:.1f} KB")
    if visits:
        round_id, unit_id, _ = visits[0]
        report = f"/rounds/{round_id}/units/{unit_id}/report"
        print(line("visit report, most photos", report, weigh(client, report)))


if __name__ == "__main__":
    main()
