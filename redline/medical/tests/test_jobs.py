"""The periodic jobs on a moved clock: missing reports are flagged once the report hour has
passed (once a day, however often the job runs), and regional alerts are evaluated on the
latest complete day."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from redline.core import jobs
from redline.core.models import Notification
from redline.medical.models import CapacityAlert
from redline.medical.tasks import complete_day
from redline.medical.tests.conftest import TODAY, ZONE, submit
from redline.medical.vocab import Metric

pytestmark = pytest.mark.django_db

ROLES = ("viewer", "operator", "inspector", "manager", "admin")


def at(hour: int, minute: int = 0, day: dt.date = TODAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def run(name: str, now: dt.datetime):
    with time_machine.travel(now, tick=False):
        return jobs.run_all(now=now, names=[name])[name]


def test_the_jobs_are_registered():
    names = {job.name for job in jobs.registered()}
    assert {"capacity-alerts", "capacity-missing-reports"} <= names


def test_missing_reports_are_flagged_after_the_hour_once_a_day(med, settings):
    settings.REDLINE_CAPACITY_REPORT_HOUR = 10
    with time_machine.travel(at(8), tick=False):
        submit(med.user("ha", "operator"))
    before = run("capacity-missing-reports", at(9, 59))
    assert before["due"] is False and Notification.objects.count() == 0

    after = run("capacity-missing-reports", at(10, 5))
    assert after["due"] and after["missing"] == 2  # the fever clinic and hospital B
    reminded = set(
        Notification.objects.filter(key__startswith="capacity-missing:").values_list(
            "recipient__username", flat=True
        )
    )
    assert reminded == {f"hb-{r}" for r in ROLES}  # the clinic has no account to remind
    lists = Notification.objects.filter(key__startswith="capacity-missing-list:")
    by_user = {n.recipient.username: n.body for n in lists}
    assert by_user["cdc_d1-viewer"] == "H-clinic_a" and by_user["cdc_d2-viewer"] == "H-hosp_b"
    assert len(by_user) == 10
    count = Notification.objects.count()
    assert run("capacity-missing-reports", at(10, 35))["missing"] == 2
    assert Notification.objects.count() == count  # nobody is told twice the same day

    with time_machine.travel(at(11), tick=False):
        submit(med.user("hb", "operator"))
    assert run("capacity-missing-reports", at(11, 5))["missing"] == 1
    # The next day starts again.
    tomorrow = TODAY + dt.timedelta(days=1)
    assert run("capacity-missing-reports", at(10, 5, tomorrow))["missing"] == 3
    # Reminders to both hospitals' accounts, a list to each district's CDC.
    assert Notification.objects.filter(key__endswith=tomorrow.isoformat()).count() == 20


def test_the_hour_is_a_setting(med, settings):
    settings.REDLINE_CAPACITY_REPORT_HOUR = 14
    assert run("capacity-missing-reports", at(13, 59))["due"] is False
    assert run("capacity-missing-reports", at(14))["due"] is True
    assert complete_day(at(13, 59)) == TODAY - dt.timedelta(days=1)
    assert complete_day(at(14)) == TODAY


def test_regional_alerts_are_evaluated_on_the_latest_complete_day(med, settings):
    settings.REDLINE_CAPACITY_REPORT_HOUR = 10
    yesterday = TODAY - dt.timedelta(days=1)
    with time_machine.travel(at(9, day=yesterday), tick=False):
        submit(med.user("ha", "operator"), day=yesterday, icu_occupied=9)
    with time_machine.travel(at(7), tick=False):
        submit(med.user("ha", "operator"), icu_occupied=2)
    regional = CapacityAlert.objects.filter(hospital__isnull=True, metric=Metric.ICU_OCCUPANCY)
    assert not regional.exists()  # hospitals' reports do not evaluate regions

    early = run("capacity-alerts", at(9))  # before the hour: yesterday is the day
    assert early["day"] == yesterday.isoformat() and early["raised"] >= 2
    assert {a.region_id for a in regional} == {med.regions["D1"], med.regions["C"]}
    assert run("capacity-alerts", at(9, 30))["raised"] == 0  # again: nothing new

    late = run("capacity-alerts", at(10, 30))  # today's reports are due: today (20%)
    assert late["day"] == TODAY.isoformat() and late["closed"] >= 2
    assert all(a.state == "closed" and a.cleared_on == TODAY for a in regional.all())
