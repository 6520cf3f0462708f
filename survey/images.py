"""Uploaded images and file names, checked by content: shared by questionnaire photos
(survey/filling/photos.py) and problem evidence (survey/ledger/evidence.py). No I/O, no database."""
from __future__ import annotations

import io
import re
import struct
import unicodedata
import warnings
from contextlib import contextmanager
from typing import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from survey.errors import DomainError

MAX_PIXELS = 40_000_000
# Pillow format -> (extension, mimetype). MPO is what Pillow calls a JPEG with extra frames.
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "MPO": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
           "WEBP": ("webp", "image/webp")}
MIMETYPES = {ext: mime for ext, mime in FORMATS.values()}
OPENABLE = ["JPEG", "PNG", "WEBP"]
# What Pillow's decoders raise on bad data
BAD_DATA = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
            TypeError)
THUMB_QUALITY = 78

NOT_AN_IMAGE = "文件不是有效的图片"


class TooLarge(DomainError):
    status = 413



def clean_name(name: str) -> str:
    """The display name: no folders, no control or direction characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = name.strip().lstrip(".").strip()
    return name[:255] or "照片"


def name_stem(name: str) -> str:
    """A cleaned display name without its extension ("门口.jpg" -> "门口"), for download names."""
    base, dot, _ = (name or "").rpartition(".")
    return base if dot and base else (name or "")


def _has_trailer(fmt: str, data: bytes) -> bool:
    """Bytes after the image's end (an appended page, a video, a zip): stored re-encoded, never as is."""
    if fmt == "JPEG":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if fmt == "PNG":
        return not data.endswith(b"IEND\xaeB`\x82")
    if fmt == "WEBP":
        return len(data) < 12 or int.from_bytes(data[4:8], "little") + 8 != len(data)
    return True


# JPEG segments a plain picture has: JFIF (APP0), its colour profile (APP2), Adobe's colour
# transform (APP14). EXIF and XMP (APP1), IPTC (APP13) and the rest may say where and by whom.
PLAIN_JPEG_SEGMENTS = {"APP0", "APP2", "APP14"}


def _has_metadata(image: Image.Image) -> bool:
    if image.getexif() or any(k in image.info for k in ("exif", "xmp", "XML:com.adobe.xmp", "comment")):
        return True
    if any(marker not in PLAIN_JPEG_SEGMENTS for marker, _ in getattr(image, "applist", [])):
        return True
    return bool(getattr(image, "text", None))  # PNG text chunks


@contextmanager
def _decoding() -> Iterator[None]:
    """Pillow's failures as DomainError: too many pixels (a decompression bomb) or not a whole image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError("图片尺寸过大") from None
    except BAD_DATA as exc:
        raise DomainError(NOT_AN_IMAGE) from exc


def _check_pixels(image: Image.Image) -> None:
    if image.width * image.height > MAX_PIXELS:
        raise DomainError("图片尺寸过大")


def inspect_image(data: bytes) -> tuple[bytes, str, int, int]:
    """Decode data fully and return (bytes to store, format, width, height).

    Only JPEG, PNG and WebP of at most MAX_PIXELS pixels, complete. Images with metadata (EXIF,
    XMP, IPTC, comments, text: GPS position, device, author), extra frames or trailing bytes are
    re-encoded without them, upright per their EXIF orientation; a plain image (what a phone's
    canvas makes) is kept byte for byte, so its SHA-256 is the sender's."""
    with _decoding():
        with Image.open(io.BytesIO(data), formats=OPENABLE) as probe:
            fmt = probe.format
            _check_pixels(probe)
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=OPENABLE)
        image.load()  # full decode: truncated or corrupt data fails here
    with image:
        if fmt not in FORMATS:
            raise DomainError(NOT_AN_IMAGE)
        frames = getattr(image, "n_frames", 1) > 1
        if not (_has_metadata(image) or frames or fmt == "MPO" or _has_trailer(fmt, data)):
            return data, fmt, image.width, image.height
        return _reencode(image, fmt)


def _reencode(image: Image.Image, fmt: str) -> tuple[bytes, str, int, int]:
    keep = {k: image.info[k] for k in ("icc_profile", "transparency") if image.info.get(k) is not None}
    upright = ImageOps.exif_transpose(image)
    upright.info = {}
    out = io.BytesIO()
    if fmt in ("JPEG", "MPO"):
        fmt = "JPEG"
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, icc_profile=keep.get("icc_profile"))
    elif fmt == "PNG":
        upright.save(out, "PNG", **keep)
    else:
        if upright.mode not in ("RGB", "RGBA"):
            alpha = "A" in upright.getbands() or "transparency" in keep
            upright = upright.convert("RGBA" if alpha else "RGB")
        upright.save(out, "WEBP", quality=90, icc_profile=keep.get("icc_profile"))
    return out.getvalue(), fmt, upright.width, upright.height


def thumbnail(data: bytes, box: int) -> bytes:
    """A small JPEG of an image: at most box × box pixels, upright per its EXIF orientation, no
    metadata, transparency on white. The limits of inspect_image (formats, MAX_PIXELS, a whole
    image); DomainError for anything else, never another exception."""
    with _decoding():
        with Image.open(io.BytesIO(data), formats=OPENABLE) as image:
            _check_pixels(image)
            image.draft("RGB", (box, box))  # JPEG: decode at 1/2 to 1/8 scale, still >= box
            icc = image.info.get("icc_profile")
            small = ImageOps.exif_transpose(image)  # decodes (truncated data fails here)
        small.thumbnail((box, box), Image.Resampling.LANCZOS)
        if small.mode in ("RGBA", "LA", "PA") or (small.mode == "P" and "transparency" in small.info):
            rgba = small.convert("RGBA")
            small = Image.new("RGB", rgba.size, (255, 255, 255))
            small.paste(rgba, mask=rgba.getchannel("A"))
        elif small.mode not in ("RGB", "L"):
            small = small.convert("RGB")
        out = io.BytesIO()
        small.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True, icc_profile=icc)
    return out.getvalue()
