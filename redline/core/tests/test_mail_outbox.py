"""The e-mail outbox: a notification's e-mail leaves after the commit; one that fails is
tried again after a growing pause, by the `mail-outbox` job, then given up with its error
kept; a try is claimed first, so two processes never send the same one."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from redline.accounts.models import User
from redline.core import notify
from redline.core.models import Notification
from redline.core.tasks import PERIODIC_JOBS, send_due_mail

pytestmark = pytest.mark.django_db(transaction=True)

LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def people():
    return [
        User.objects.create(username="with-mail", email="a@example.org"),
        User.objects.create(username="without-mail"),
    ]


class Refused(Exception):
    pass


@override_settings(MAILERS=LOCMEM)
def test_the_mail_leaves_after_the_commit(people):
    notify.notify(people, key="event:1", subject="Something happened", url="/x/")
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    sent = Notification.objects.get(recipient=people[0])
    assert sent.emailed_at is not None and sent.email_attempts == 1 and sent.email_next_at is None
    quiet = Notification.objects.get(recipient=people[1])
    assert quiet.email_to == "" and quiet.emailed_at is None and quiet.email_next_at is None
    # Announced again (a retried job): nothing new, no second e-mail.
    notify.notify(people, key="event:1", subject="Something happened")
    assert len(mail.outbox) == 1


@override_settings(MAILERS=LOCMEM)
def test_a_failed_mail_is_tried_again_after_growing_pauses_then_given_up(people, monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise Refused("mail server down")

    monkeypatch.setattr(notify, "send_mail", refuse)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        notify.notify(people[:1], key="event:2", subject="Down")
    row = Notification.objects.get(key="event:2")
    assert row.emailed_at is None and row.email_attempts == 1
    assert row.email_error == "Refused: mail server down"
    assert row.email_next_at == start + notify.RETRY_AFTER[0]
    # Not due yet: the outbox job leaves it.
    assert send_due_mail(now=start + dt.timedelta(seconds=30)) == {"sent": 0, "failed": 0}
    moment = start
    for pause in notify.RETRY_AFTER:
        moment += pause
        assert send_due_mail(now=moment) == {"sent": 0, "failed": 1}
    row.refresh_from_db()
    assert row.email_attempts == len(notify.RETRY_AFTER) + 1 and row.email_next_at is None
    assert send_due_mail(now=moment + dt.timedelta(days=30)) == {"sent": 0, "failed": 0}
    assert len(calls) == len(notify.RETRY_AFTER) + 1


@override_settings(MAILERS=LOCMEM)
def test_the_outbox_sends_when_the_server_is_back(people, monkeypatch):
    monkeypatch.setattr(notify, "send_mail", lambda *a, **k: (_ for _ in ()).throw(Refused()))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        notify.notify(people[:1], key="event:3", subject="Back")
    monkeypatch.undo()
    assert send_due_mail(now=start + notify.RETRY_AFTER[0]) == {"sent": 1, "failed": 0}
    row = Notification.objects.get(key="event:3")
    assert row.emailed_at is not None and row.email_error == ""
    assert [m.subject for m in mail.outbox] == ["Back"]


@override_settings(MAILERS=LOCMEM)
def test_a_try_in_progress_is_not_taken_twice(people, monkeypatch):
    """While one process sends (its claim holds the row), another finds nothing to send."""
    inside = []

    def send_while_another_looks(*args, **kwargs):
        inside.append(notify.deliver(now=timezone.now()))
        mail.send_mail(*args, **kwargs)

    monkeypatch.setattr(notify, "send_mail", send_while_another_looks)
    notify.notify(people[:1], key="event:4", subject="Once")
    assert inside == [{"sent": 0, "failed": 0}]
    assert len(mail.outbox) == 1


def test_the_outbox_job_is_registered():
    assert {job.name for job in PERIODIC_JOBS} == {"mail-outbox", "on-demand-recover"}
