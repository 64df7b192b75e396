"""Pictures people upload (a room's photo), checked and cleaned with Pillow.

What was sent is never kept as it is: Pillow reads it (so a file that only claims to be a
picture is refused), the picture is turned upright, re-encoded as JPEG without its metadata
(EXIF, GPS position included) and stored in two sizes: one for phones, one full size. Files go
to ``UPLOAD_FOLDER`` (a directory every app server shares, DESIGN §6) under random names.
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.db import on_commit, on_rollback
from app.core.errors import DomainError
from app.core.i18n import lazy_gettext as _l

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is the most a phone takes
SIZES = {"full": 1600, "small": 640}  # longest side, in pixels
FORMATS = {"JPEG", "PNG", "WEBP"}


class InvalidImage(DomainError):
    default_message = _l("Ce fichier n'est pas une image JPEG, PNG ou WebP. Choisissez une photo.")


class ImageTooBig(InvalidImage):
    default_message = _l("Cette image est trop lourde : 5 Mo au plus.")


def upload_folder() -> Path:
    """Absolute, so that saving and serving agree even if the setting is relative."""
    return Path(current_app.config["UPLOAD_FOLDER"]).resolve()


def file_name(name: str, size: str = "full") -> str:
    """The stored file of one size of a picture (``room-ab12.jpg``, ``room-ab12-small.jpg``)."""
    name = Path(name).name
    if size == "full":
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-{size}{dot}{suffix}"


def _clean(data: bytes, field: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise InvalidImage(field=field)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageTooBig(field=field)
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise InvalidImage(field=field) from None
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def store_image(stream, session, *, prefix: str, field: str = "photo") -> str:
    """Check, clean and store a picture in every size; return its name.

    The files follow ``session``'s transaction: removed again if it rolls back."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImageTooBig(field=field)
    image = _clean(data, field)
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{prefix}-{secrets.token_hex(16)}.jpg"
    on_rollback(session, lambda: remove_image(name))
    for size, longest in SIZES.items():
        copy = image.copy()
        copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
        copy.save(folder / file_name(name, size), "JPEG", quality=85, optimize=True)
    return name


def discard_image(name: str | None, session) -> None:
    """Remove a picture once ``session``'s transaction has committed."""
    if name:
        on_commit(session, lambda: remove_image(name))


def remove_image(name: str) -> None:
    folder = upload_folder()
    for size in SIZES:
        (folder / file_name(name, size)).unlink(missing_ok=True)
