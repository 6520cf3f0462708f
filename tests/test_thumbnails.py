"""survey/images.thumbnail and survey/thumbnails: small, upright, metadata-free JPEGs; hostile
images refused with a DomainError, never another exception; orphan thumbnails swept."""
from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from survey import images, thumbnails
from survey.errors import DomainError
from survey.storage import get_storage
from tests.test_photos import image_bytes, png_declaring


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image


def test_a_large_photo_becomes_a_small_jpeg():
    big = image_bytes("JPEG", size=(4000, 3000), quality=95)
    small = images.thumbnail(big, 144)
    assert decoded(small).size == (144, 108) and len(small) < 10_000 < len(big)


def test_orientation_is_applied_and_metadata_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: a portrait photo taken with the phone turned
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 7.0)}
    image = decoded(images.thumbnail(image_bytes("JPEG", size=(400, 300), exif=exif), 144))
    assert image.size == (108, 144) and not image.getexif() and "exif" not in image.info


def test_transparency_goes_on_white_and_a_small_image_is_not_enlarged():
    im = Image.new("RGBA", (40, 20), (255, 0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    image = decoded(images.thumbnail(buf.getvalue(), 144))
    assert image.size == (40, 20) and image.convert("RGB").getpixel((5, 5)) >= (250, 250, 250)


@pytest.mark.parametrize("data, message", [
    (png_declaring(20_000, 20_000), "图片尺寸过大"),            # a decompression bomb
    (image_bytes("JPEG", size=(300, 200))[:800], images.NOT_AN_IMAGE),  # truncated
    (b"GIF89a" + bytes(40), images.NOT_AN_IMAGE),
    (b"%PDF-1.4\n%%EOF\n", images.NOT_AN_IMAGE),
    (b"", images.NOT_AN_IMAGE),
])
def test_hostile_data_is_refused(data, message):
    with pytest.raises(DomainError) as refused:
        images.thumbnail(data, 144)
    assert refused.value.message == message


def test_orphan_thumbnails_are_swept_after_their_age(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    with app.test_request_context():
        store = get_storage()
        store.put("photos/kept.jpg", image_bytes())
        store.put("photos/gone.jpg", image_bytes())
        kept, gone = thumbnails.ensure("photos/kept.jpg", 192), thumbnails.ensure("photos/gone.jpg", 192)
        assert (kept, gone) == ("thumbs/photos-kept.jpg-192.jpg", "thumbs/photos-gone.jpg-192.jpg")
        store.delete("photos/gone.jpg")
        assert thumbnails.sweep_orphans(3600, time.time()) == 0  # too young: maybe an upload in flight
        assert thumbnails.sweep_orphans(3600, time.time() + 7200) == 1
        assert [e.key for e in store.list("thumbs/")] == [kept]
        assert thumbnails.ensure("photos/gone.jpg", 192) is None
