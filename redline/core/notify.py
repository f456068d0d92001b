"""Notifications: in the app and by e-mail (Django's mail backends; the console in the demo).

`notify` is called inside the writing transaction. The rows commit with it; the e-mails
leave only after the commit (`transaction.on_commit`), so a rolled-back change announces
nothing. Each notification has a key naming the event, unique per recipient: announcing
the same event twice, from a retried job, adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from redline.core.models import Notification

log = logging.getLogger(__name__)


def notify(
    recipients: Iterable[Any], *, key: str, subject: str, body: str = "", url: str = ""
) -> list[Notification]:
    """Create the notification for each recipient who has not had this one yet."""
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not users:
        return []
    already = set(
        Notification.objects.filter(recipient_id__in=users, key=key).values_list(
            "recipient_id", flat=True
        )
    )
    now = timezone.now()
    fresh = [
        Notification(
            recipient_id=pk, key=key, subject=subject[:300], body=body, url=url, created_at=now
        )
        for pk in users
        if pk not in already
    ]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    emails = [users[n.recipient_id].email for n in fresh if users[n.recipient_id].email]
    if emails:
        transaction.on_commit(lambda: _send(key, emails, subject, body, url))
    return fresh


def _send(key: str, emails: list[str], subject: str, body: str, url: str) -> None:
    link = f"{settings.REDLINE_BASE_URL}{url}" if url else ""
    text = "\n\n".join(part for part in (body, link) if part)
    sent: list[str] = []
    for address in emails:
        try:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
            sent.append(address)
        except Exception:  # a mail server down must not undo the committed change
            log.exception("could not e-mail %s about %s", address, key)
    if sent:
        Notification.objects.filter(key=key, recipient__email__in=sent, emailed_at=None).update(
            emailed_at=timezone.now()
        )


def users_of(organisation_ids: Iterable[int]) -> list[Any]:
    """The active users of these organisations."""
    ids = [i for i in organisation_ids if i]
    if not ids:
        return []
    return list(get_user_model().objects.filter(organisation_id__in=ids, is_active=True))


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()
