"""The demo step on the small city: every operating hospital and fever clinic reports for 90
days, the surge district's alerts are raised by the evaluation, some still open and some
closed, the demo hospital's own account exists and today's report is left to it; the same
seed gives the same figures."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from redline.accounts.models import User
from redline.medical.demo import DAYS, build_capacity
from redline.medical.models import CapacityAlert, CapacityReport
from redline.medical.tests.conftest import NOW, TODAY
from redline.medical.vocab import HEALTH_UNIT_KINDS, AlertState
from redline.organisations import demo
from redline.organisations.models import Enterprise
from redline.organisations.vocab import UnitStatus

pytestmark = pytest.mark.django_db


def small_city(seed: int) -> demo.Builder:
    """The small demo city without the other modules' steps, then this module's step."""
    return demo.build_city(seed=seed, progress=lambda message: None, steps=[build_capacity])


def figures() -> list[tuple]:
    return list(
        CapacityReport.objects.order_by("hospital__credit_code", "day", "version").values_list(
            "hospital__credit_code", "day", "version", "beds_occupied", "fever_clinic_visits"
        )
    )


def test_the_demo_step_tells_a_surge_with_open_and_closed_alerts():
    assert demo.register_step.__module__ == "redline.organisations.demo"
    assert build_capacity in demo.STEPS  # registered by the app, so `redline demo` runs it
    with time_machine.travel(NOW, tick=False):
        with transaction.atomic():
            builder = small_city(seed=1)
            first = figures()
            transaction.set_rollback(True)
        builder = small_city(seed=1)
    assert figures() == first  # the same seed, the same reports

    units = Enterprise.objects.filter(kind__in=HEALTH_UNIT_KINDS, status=UnitStatus.OPERATING)
    assert units.count() >= 2
    hospital = User.objects.get(username="hospital-operator").organisation.enterprise
    for unit in units:
        days = set(
            CapacityReport.objects.current().filter(hospital=unit).values_list("day", flat=True)
        )
        expected = {TODAY - dt.timedelta(days=n) for n in range(DAYS)}
        assert days == (expected - {TODAY} if unit.pk == hospital.pk else expected), unit
    # Today's report is the visitor's to send; yesterday's was corrected through the service.
    yesterday = CapacityReport.objects.filter(hospital=hospital, day=TODAY - dt.timedelta(days=1))
    assert sorted(yesterday.values_list("version", flat=True)) == [1, 2]

    alerts = CapacityAlert.objects.all()
    assert alerts.filter(state=AlertState.OPEN, hospital=hospital).exists()
    assert alerts.filter(state=AlertState.CLOSED, cleared_on__isnull=False).exists()
    assert alerts.filter(hospital__isnull=True).exists()  # the surge district's own alerts
    for alert in alerts:
        actions = [e.action for e in alert.events.all()]
        assert actions[0] == "raise" and (alert.state != "closed" or actions[-1] == "auto_close")
    logins = {login.username: login for login in builder.logins}
    for name in ("hospital-operator", "health-viewer", "districtcdc-inspector"):
        assert name in logins and User.objects.filter(username=name).exists()
    assert logins["hospital-operator"].level == "enterprise"
