"""The sign-in lock-out (django-axes) holds when failed sign-ins arrive at the same moment:
no failure is lost, and the account is locked once the limit is passed."""

from __future__ import annotations

import threading

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from redline.core.tests.races import in_threads, race_connection
from redline.core.tests.test_workflow_contract import committed_world
from redline.organisations.tests.world import PASSWORD

ATTEMPTS = 6


@pytest.mark.django_db(transaction=True)
def test_failed_sign_ins_at_the_same_moment_all_count(world, settings, tmp_path):
    committed_world(world)
    settings.AXES_FAILURE_LIMIT = 3
    attach = race_connection(tmp_path)
    start = threading.Barrier(ATTEMPTS, timeout=30)

    def fail() -> int:
        client = Client()
        start.wait()  # all at once
        response = client.post(reverse("login"), {"username": "d1-viewer", "password": "wrong"})
        return response.status_code

    answers = in_threads(attach, *([fail] * ATTEMPTS))
    assert all(answer in (200, 429) for answer in answers), answers

    def after() -> tuple[list[int], int]:
        failures = list(
            AccessAttempt.objects.filter(username="d1-viewer").values_list(
                "failures_since_start", flat=True
            )
        )
        right = Client().post(reverse("login"), {"username": "d1-viewer", "password": PASSWORD})
        return failures, right.status_code

    ((failures, right),) = in_threads(attach, after)
    assert failures == [ATTEMPTS]  # one record, every failure counted
    assert right == 429  # locked out: the right password no longer signs in
