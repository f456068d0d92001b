"""An accident's photos (JPEG, PNG or WebP) and its investigation report (a PDF), checked by
their content (`redline.core.uploads`), stored under MEDIA_ROOT with an unguessable name and
served only through the accident's door (`views.file`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.accidents.models import Accident, AccidentFile
from redline.core import audit
from redline.core.errors import ValidationFailed
from redline.core.uploads import DOCUMENTS, PDF, check_all
from redline.hazards.evidence import MAX_FILES, Upload, check_uploads

if TYPE_CHECKING:
    from redline.accounts.models import User

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}


def check_photos(items: Iterable[Any]) -> list[Upload]:
    return check_uploads(items, field="photos")


def check_report(items: Iterable[Any]) -> tuple[Upload | None, list[Upload]]:
    """What comes with the investigation report: the report itself (one PDF, or none) and
    photos as evidence (JPEG, PNG or WebP), each checked by `redline.core.uploads`;
    anything else fails the step, naming the file."""
    report: Upload | None = None
    photos: list[Upload] = []
    given = list(items or [])
    if len(given) > MAX_FILES + 1:
        raise ValidationFailed(fields={"photos": _("Too many files.")})
    for upload in check_all(given, field="photos", allowed=DOCUMENTS):
        if upload.content_type != PDF:
            photos.append(upload)
        elif report is not None:
            raise ValidationFailed(fields={"photos": _("Give one PDF file.")})
        else:
            report = upload
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
