"""An accident's photos (JPEG or PNG, checked by `hazards.evidence`) and its investigation
report (a PDF, checked by its content), stored under MEDIA_ROOT with an unguessable name and
served only through the accident's door (`views.file`)."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.accidents.models import Accident, AccidentFile
from redline.core import audit
from redline.core.errors import ValidationFailed
from redline.hazards.evidence import MAX_BYTES, MAX_FILES, Upload, check_uploads

if TYPE_CHECKING:
    from redline.accounts.models import User

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def check_photos(items: Iterable[Any]) -> list[Upload]:
    return check_uploads(items, field="photos")


def _content(item: Any, index: int) -> tuple[str, bytes]:
    """A file's name and bytes: an uploaded file, or an API item {"name", "content_base64"}."""
    if isinstance(item, Mapping):
        name = str(item.get("name") or f"file-{index}")
        try:
            text = "".join(str(item.get("content_base64") or "").split())
            return name, base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                fields={"photos": _("%(name)s: not valid base64.") % {"name": name}}
            ) from None
    name = str(getattr(item, "name", "") or f"file-{index}")
    if getattr(item, "size", 0) > MAX_BYTES:
        raise ValidationFailed(fields={"photos": _("%(name)s: larger than 5 MB.") % {"name": name}})
    return name, item.read()


def check_report(items: Iterable[Any]) -> tuple[Upload | None, list[Upload]]:
    """What comes with the investigation report: the report itself (one PDF, or none) and
    photos as evidence (JPEG or PNG), each at most 5 MB; anything else fails the step,
    naming the file."""
    report: Upload | None = None
    photos: list[Upload] = []
    given = list(items or [])
    if len(given) > MAX_FILES + 1:
        raise ValidationFailed(fields={"photos": _("Too many files.")})
    for index, item in enumerate(given, start=1):
        name, content = _content(item, index)
        if len(content) > MAX_BYTES:
            raise ValidationFailed(
                fields={"photos": _("%(name)s: larger than 5 MB.") % {"name": name}}
            )
        if content.startswith(b"%PDF-"):
            if report is not None:
                raise ValidationFailed(fields={"photos": _("Give one PDF file.")})
            report = Upload(name=name[:200], content=content, content_type="application/pdf")
            continue
        photos += check_uploads([ContentFile(content, name=name)], field="photos")
    return report, photos


def store(
    uploads: list[Upload], *, accident: Accident, actor: User | None, kind: str
) -> list[AccidentFile]:
    stored = []
    for upload in uploads:
        item = AccidentFile(
            accident=accident,
            kind=kind,
            token=secrets.token_hex(16),
            extension=EXTENSIONS[upload.content_type],
            content_type=upload.content_type,
            size=len(upload.content),
            original_name=upload.name,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            uploaded_at=timezone.now(),
        )
        item.file.save("upload", ContentFile(upload.content), save=False)
        item.save()
        stored.append(item)
    return stored


def log_stored(actor: User | None, items: list[AccidentFile], *, enterprise_id: int | None) -> None:
    """The change-log rows of stored files (their name, kind and size; the stored path is
    internal)."""
    for item in items:
        audit.record(
            actor=actor,
            action="create",
            instance=item,
            before=None,
            after=audit.snapshot(item, exclude=("file", "token")),
            enterprise_id=enterprise_id,
        )
