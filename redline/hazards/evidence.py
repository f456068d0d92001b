"""Photos as evidence: checked by `redline.core.uploads` (JPEG, PNG or WebP by their
content, at most REDLINE_UPLOAD_MAX_MB each, re-encoded without metadata), stored under
MEDIA_ROOT with an unguessable name, served only through a view that checks the reader's
jurisdiction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed
from redline.core.uploads import IMAGES, Upload, check_all
from redline.hazards.models import Photo

if TYPE_CHECKING:
    from redline.accounts.models import User

MAX_FILES = 6


def check_uploads(files: Iterable[Any], field: str = "photos") -> list[Upload]:
    """Uploaded files (Django UploadedFile) or API items ({"name", "content_base64"}) as
    checked photos (JPEG, PNG or WebP, by `redline.core.uploads`); any bad one fails the
    whole request, naming the file."""
    items = list(files or [])
    if len(items) > MAX_FILES:
        raise ValidationFailed(
            fields={field: _("At most %(n)d photos at a time.") % {"n": MAX_FILES}}
        )
    return check_all(items, field=field, allowed=IMAGES)


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
