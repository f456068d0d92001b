"""Photos as evidence: checked by content (JPEG or PNG, at most 5 MB each, as the reporting
interface allows), stored under MEDIA_ROOT with an unguessable name, served only through
a view that checks the reader's jurisdiction."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed
from redline.hazards.models import Photo

if TYPE_CHECKING:
    from redline.accounts.models import User

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 6
SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    content_type: str


def _sniff(content: bytes) -> str | None:
    for signature, content_type in SIGNATURES.items():
        if content.startswith(signature):
            return content_type
    return None


def check_uploads(files: Iterable[Any], field: str = "photos") -> list[Upload]:
    """Uploaded files (Django UploadedFile) or API items ({"name", "content_base64"}) as
    checked uploads; any bad one fails the whole request, naming the file."""
    uploads: list[Upload] = []
    items = list(files or [])
    if len(items) > MAX_FILES:
        raise ValidationFailed(
            fields={field: _("At most %(n)d photos at a time.") % {"n": MAX_FILES}}
        )
    for index, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            name = str(item.get("name") or f"photo-{index}")
            try:
                # Line breaks (as the `base64` tool writes them) are not part of the data.
                text = "".join(str(item.get("content_base64") or "").split())
                content = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise ValidationFailed(
                    fields={field: _("%(name)s: not valid base64.") % {"name": name}}
                ) from None
        else:
            name = getattr(item, "name", "") or f"photo-{index}"
            if getattr(item, "size", 0) > MAX_BYTES:
                raise ValidationFailed(
                    fields={field: _("%(name)s: larger than 5 MB.") % {"name": name}}
                )
            content = item.read()
        if len(content) > MAX_BYTES:
            raise ValidationFailed(
                fields={field: _("%(name)s: larger than 5 MB.") % {"name": name}}
            )
        content_type = _sniff(content)
        if content_type is None:
            raise ValidationFailed(
                fields={field: _("%(name)s: only JPEG or PNG photos.") % {"name": name}}
            )
        uploads.append(Upload(name=name[:200], content=content, content_type=content_type))
    return uploads


def store(uploads: Iterable[Upload], *, actor: User | None, **owner: Any) -> list[Photo]:
    """Save checked uploads, attached to a hazard, a hazard event and/or a task."""
    photos = []
    now = timezone.now()
    for upload in uploads:
        photo = Photo(
            token=secrets.token_hex(16),
            content_type=upload.content_type,
            size=len(upload.content),
            original_name=upload.name,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            uploaded_at=now,
            **owner,
        )
        photo.file.save(photo.token, ContentFile(upload.content), save=False)
        photo.save()
        photos.append(photo)
    return photos


def share(photos: Iterable[Photo], **owner: Any) -> list[Photo]:
    """The same photos as evidence of another record too (a hazard opened from the
    inspection task they were taken on): new rows, each with its own token, pointing at
    the stored files (nothing is copied or deleted)."""
    shared = []
    for photo in photos:
        twin = Photo(
            token=secrets.token_hex(16),
            file=photo.file.name,
            content_type=photo.content_type,
            size=photo.size,
            original_name=photo.original_name,
            uploaded_by_id=photo.uploaded_by_id,
            uploaded_at=photo.uploaded_at,
            **owner,
        )
        twin.save()
        shared.append(twin)
    return shared
