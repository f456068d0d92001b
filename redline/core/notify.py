"""Notifications: in the app and by e-mail (Django's mail backends; the console in the demo).

`notify` is called inside the writing transaction. The rows commit with it; the e-mails
leave only after the commit (`transaction.on_commit`), so a rolled-back change announces
nothing. Each notification has a key naming the event, unique per recipient: announcing
the same event twice, from a retried job, adds nothing.

Each notification to a user with an address is also an entry of the e-mail outbox: after the
commit it is sent at once (on a worker in the scaled configuration, else in the committing
process, after the response's data is safe), and one that could not be sent (the mail server
down, an address refused) is tried again by the `mail-outbox` job after a growing pause
(`RETRY_AFTER`), then given up with its error kept. A try is claimed by a conditional update
before the message leaves, so two processes never send the same notification.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from redline.core.models import Notification

log = logging.getLogger(__name__)

# The pause before each new try of an e-mail that failed; after the last, it is given up.
RETRY_AFTER = [
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
]
# A try in progress holds its notification this long (a process that died while sending
# leaves it to the next try after that).
LEASE = dt.timedelta(minutes=5)
MAIL_STEP = "core.mail"


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
            recipient_id=pk,
            key=key,
            subject=subject[:300],
            body=body,
            url=url,
            created_at=now,
            email_to=users[pk].email or "",
            email_next_at=now if users[pk].email else None,
        )
        for pk in users
        if pk not in already
    ]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    if any(n.email_to for n in fresh):
        transaction.on_commit(lambda: _deliver_soon(key))
    return fresh


def _deliver_soon(key: str) -> None:
    """The e-mails of a just-committed event: on a worker when the broker is set, else here.
    Whatever fails is left to the `mail-outbox` job."""
    from redline.core import jobs

    try:
        if jobs.scaled():
            jobs.send_step(MAIL_STEP, {"key": key})
        else:
            deliver(key=key)
    except Exception:  # the change is committed: the outbox job sends the e-mails later
        log.exception("could not send the e-mails about %s now; the outbox will", key)


def deliver(*, key: str | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the e-mails that are due (of one event's notifications, when `key` is given)."""
    now = now or timezone.now()
    due = Notification.objects.filter(
        emailed_at=None, email_next_at__lte=now, email_attempts__lt=len(RETRY_AFTER) + 1
    ).exclude(email_to="")
    if key is not None:
        due = due.filter(key=key)
    sent = failed = 0
    for pk in list(due.order_by("email_next_at").values_list("pk", flat=True)[:500]):
        taken = Notification.objects.filter(pk=pk, emailed_at=None, email_next_at__lte=now).update(
            email_next_at=now + LEASE, email_attempts=F("email_attempts") + 1
        )
        if not taken:
            continue  # another process is sending it
        notification = Notification.objects.get(pk=pk)
        error = _send(notification)
        if not error:
            Notification.objects.filter(pk=pk).update(
                emailed_at=timezone.now(), email_next_at=None, email_error=""
            )
            sent += 1
            continue
        failed += 1
        tries = notification.email_attempts
        again = now + RETRY_AFTER[tries - 1] if tries <= len(RETRY_AFTER) else None
        Notification.objects.filter(pk=pk).update(email_next_at=again, email_error=error[:300])
    return {"sent": sent, "failed": failed}


def _send(notification: Notification) -> str:
    """Send one notification's e-mail; "" when sent, else the error."""
    link = f"{settings.REDLINE_BASE_URL}{notification.url}" if notification.url else ""
    text = "\n\n".join(part for part in (notification.body, link) if part)
    try:
        send_mail(notification.subject, text, settings.DEFAULT_FROM_EMAIL, [notification.email_to])
    except Exception as error:  # a mail server down must not undo the committed change
        log.warning(
            "could not e-mail %s about %s: %s", notification.email_to, notification.key, error
        )
        return f"{type(error).__name__}: {error}"
    return ""


def users_of(organisation_ids: Iterable[int]) -> list[Any]:
    """The active users of these organisations."""
    ids = [i for i in organisation_ids if i]
    if not ids:
        return []
    return list(get_user_model().objects.filter(organisation_id__in=ids, is_active=True))


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()
