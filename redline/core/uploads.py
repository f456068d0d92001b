"""Every uploaded file passes here before it is stored: at most REDLINE_UPLOAD_MAX_MB, its
type read from its content (JPEG, PNG, WebP, PDF, XLSX, DOCX) and agreeing with its name's
extension, and an image re-encoded by Pillow (turned upright, EXIF/GPS and other metadata
dropped). Files are stored under MEDIA_ROOT, which no URL serves: each is read through its
record's access-checked view."""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from redline.core.errors import ValidationFailed

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Each type's extensions; the first is the one a stored file gets.
EXTENSIONS = {
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    WEBP: (".webp",),
    PDF: (".pdf",),
    XLSX: (".xlsx",),
    DOCX: (".docx",),
}
NAMES = {JPEG: "JPEG", PNG: "PNG", WEBP: "WebP", PDF: "PDF", XLSX: "XLSX", DOCX: "DOCX"}
IMAGES = frozenset({JPEG, PNG, WEBP})
DOCUMENTS = IMAGES | {PDF}
OFFICE = DOCUMENTS | {XLSX, DOCX}
MAX_PIXELS = 50_000_000  # larger images are refused before they are decoded


@dataclass(frozen=True)
class Upload:
    """A checked file: its given name, its (re-encoded) bytes and its sniffed type."""

    name: str
    content: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type][0]

    def as_file(self) -> ContentFile[bytes]:
        """The bytes as a file for a FileField, named after the given name with the
        extension of its real type."""
        stem = PurePath(self.name).stem[:80] or "file"
        return ContentFile(self.content, name=f"{stem}{self.extension}")


def max_bytes() -> int:
    return int(settings.REDLINE_UPLOAD_MAX_MB) * 1024 * 1024


def sniff(content: bytes) -> str | None:
    """The file's type from its first bytes (and, for a zip, its entries)."""
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if "xl/workbook.xml" in names:
                return XLSX
            if "word/document.xml" in names:
                return DOCX
    return None


def _too_large(field: str, name: str) -> ValidationFailed:
    return ValidationFailed(
        fields={
            field: _("%(name)s: larger than %(mb)d MB.")
            % {"name": name, "mb": settings.REDLINE_UPLOAD_MAX_MB}
        }
    )


def _read(item: Any, *, field: str, index: int) -> tuple[str, bytes]:
    """A file's name and bytes: an uploaded file, raw bytes, or an API item
    {"name", "content_base64"}."""
    limit = max_bytes()
    if isinstance(item, Mapping):
        name = str(item.get("name") or f"file-{index}")
        # Line breaks (as the `base64` tool writes them) are not part of the data.
        text = "".join(str(item.get("content_base64") or "").split())
        if len(text) > (limit + 2) // 3 * 4:
            raise _too_large(field, name)
        try:
            return name, base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                fields={field: _("%(name)s: not valid base64.") % {"name": name}}
            ) from None
    name = str(getattr(item, "name", "") or f"file-{index}")
    if (getattr(item, "size", 0) or 0) > limit:
        raise _too_large(field, name)
    if hasattr(item, "seek"):
        item.seek(0)
    content = item.read(limit + 1)
    return name, bytes(content)


def check(item: Any, *, field: str, allowed: Collection[str], index: int = 1) -> Upload:
    """One uploaded file, checked; refused with a message on `field` naming the file."""
    name, content = _read(item, field=field, index=index)
    if len(content) > max_bytes():
        raise _too_large(field, name)
    kind = sniff(content)
    if kind is None or kind not in allowed:
        kinds = ", ".join(NAMES[k] for k in EXTENSIONS if k in allowed)
        raise ValidationFailed(
            fields={
                field: _("%(name)s: not an accepted file; give %(kinds)s.")
                % {"name": name, "kinds": kinds}
            }
        )
    extension = PurePath(name).suffix.lower()
    if extension and extension not in EXTENSIONS[kind]:
        raise ValidationFailed(
            fields={
                field: _("%(name)s: the name says %(extension)s but the content is %(kind)s.")
                % {"name": name, "extension": extension, "kind": NAMES[kind]}
            }
        )
    if kind in IMAGES:
        content = clean_image(content, kind, field=field, name=name)
    return Upload(name=name[:200], content=content, content_type=kind)


def check_all(
    items: Any, *, field: str, allowed: Collection[str], at_most: int | None = None
) -> list[Upload]:
    """Several files from one field; any bad one fails them all."""
    given = list(items or [])
    if at_most is not None and len(given) > at_most:
        raise ValidationFailed(fields={field: _("At most %(n)d files at a time.") % {"n": at_most}})
    return [
        check(item, field=field, allowed=allowed, index=index)
        for index, item in enumerate(given, start=1)
    ]


def clean_image(content: bytes, kind: str, *, field: str, name: str) -> bytes:
    """The picture alone: decoded, turned as its EXIF orientation says, and encoded again
    in its own format without EXIF (GPS, camera, time), XMP, comments or text chunks."""
    unreadable = ValidationFailed(
        fields={field: _("%(name)s: the image cannot be read.") % {"name": name}}
    )
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise unreadable
            image.load()
            upright = ImageOps.exif_transpose(image)
            icc = image.info.get("icc_profile")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise unreadable from None
    alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if kind == JPEG:
        mode = "L" if upright.mode in ("L", "1") else "RGB"
    else:
        mode = "RGBA" if alpha else ("L" if upright.mode in ("L", "1") else "RGB")
    picture = Image.new(mode, upright.size)
    picture.paste(upright.convert(mode))
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    out = io.BytesIO()
    if kind == JPEG:
        picture.save(out, "JPEG", quality=90, **options)
    elif kind == PNG:
        picture.save(out, "PNG", **options)
    else:
        picture.save(out, "WEBP", quality=90, **options)
    return out.getvalue()


def _limit_text() -> str:
    return _("At most %(mb)d MB.") % {"mb": settings.REDLINE_UPLOAD_MAX_MB}


# A form field's help text: the size limit, in the reader's language.
upload_limit = lazy(_limit_text, str)
