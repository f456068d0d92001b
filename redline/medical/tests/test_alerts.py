"""Capacity alerts: raised when a report crosses a threshold, one per subject and metric,
escalating from warning to alert, closing themselves when a report is back under the
warning level; regions' totals; the authorities told once per level; thresholds as data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import yaml

from redline.conftest import login
from redline.core.models import ChangeLog, Notification
from redline.medical import thresholds
from redline.medical.evaluation import capacity_alerts_evaluate
from redline.medical.models import CapacityAlert, CapacityReport, CapacityThreshold
from redline.medical.services import capacity_alert_transition, capacity_thresholds_load
from redline.medical.tests.conftest import FIGURES, NOW, TODAY, seed_history, submit
from redline.medical.vocab import AlertState, Level, Metric

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def day(n: int) -> dt.date:
    """n days before today."""
    return TODAY - dt.timedelta(days=n)


def icu_alerts(unit: int):
    return CapacityAlert.objects.filter(hospital_id=unit, metric=Metric.ICU_OCCUPANCY)


def recipients(key_prefix: str) -> set[str]:
    return set(
        Notification.objects.filter(key__startswith=key_prefix).values_list(
            "recipient__username", flat=True
        )
    )


def test_crossing_escalation_dedup_and_auto_close(med):
    operator = med.user("ha", "operator")
    unit = med.units["hosp_a"]
    submit(operator, day=day(5), icu_occupied=5)  # 50%: nothing
    assert not CapacityAlert.objects.exists()

    submit(operator, day=day(4), icu_occupied=8)  # 80%: warning (>= 75)
    alert = icu_alerts(unit).get()
    assert (alert.level, alert.state, alert.value) == (Level.WARNING, AlertState.OPEN, 80.0)
    assert alert.first_day == day(4) and alert.threshold_value == Decimal("75")
    assert alert.unconfirmed.startswith("未经确认") and "UNCONFIRMED" in alert.unconfirmed_en

    submit(operator, day=day(3), icu_occupied=9)  # 90%: the same alert escalates
    submit(operator, day=day(3), icu_occupied=9, note="again")  # a correction: no new alert
    alert = icu_alerts(unit).get()
    assert (alert.level, alert.value, alert.last_day) == (Level.ALERT, 90.0, day(3))
    assert alert.escalated_at is not None

    submit(operator, day=day(2), icu_occupied=8)  # 80%: still crossing, never de-escalates
    alert.refresh_from_db()
    assert (alert.level, alert.value, alert.peak_value) == (Level.ALERT, 80.0, 90.0)

    submit(operator, day=day(1), icu_occupied=6)  # 60%: back under the warning level
    alert.refresh_from_db()
    assert alert.state == AlertState.CLOSED and alert.cleared_on == day(1)
    assert alert.closed_at == NOW and alert.closed_by is None
    assert [e.action for e in alert.events.all()] == ["raise", "escalate", "auto_close"]
    # Each change the evaluation made is in the change log, made by the system.
    evaluated = ChangeLog.objects.filter(
        model="medical.CapacityAlert", object_id=str(alert.pk)
    ).order_by("id")
    assert [(e.action, e.comment, e.actor_id) for e in evaluated] == [
        ("create", "capacity evaluation", None),
        ("update", "capacity evaluation", None),
        ("state", "capacity evaluation", None),
    ]
    assert evaluated[2].before["state"] == "open" and evaluated[2].after["state"] == "closed"

    submit(operator, day=day(0), icu_occupied=9)  # crossing again: a new alert
    assert icu_alerts(unit).count() == 2
    fresh = icu_alerts(unit).exclude(pk=alert.pk).get()
    assert (fresh.level, fresh.state, fresh.first_day) == (Level.ALERT, AlertState.OPEN, day(0))


def test_the_authorities_over_the_hospital_are_told_once_per_level(med):
    operator = med.user("ha", "operator")
    submit(operator, day=day(2), icu_occupied=8)
    alert = icu_alerts(med.units["hosp_a"]).get()
    told = recipients(f"capacity-alert:{alert.pk}:")
    roles = ("viewer", "operator", "inspector", "manager", "admin")
    expected = {f"{org}-{role}" for org in ("cdc_d1", "health", "d1") for role in roles}
    assert told == expected  # not D2, not its CDC, not the city government, not the unit
    about = Notification.objects.filter(key__startswith=f"capacity-alert:{alert.pk}:")
    assert about.count() == 15
    capacity_alerts_evaluate(day=day(2), now=NOW)  # evaluating again tells nobody again
    submit(operator, day=day(2), icu_occupied=8, note="same figures, a note")
    assert about.count() == 15
    submit(operator, day=day(1), icu_occupied=9)  # escalation: told again, once
    assert Notification.objects.filter(key=f"capacity-alert:{alert.pk}:alert").count() == 15
    capacity_alerts_evaluate(day=day(1), now=NOW)
    assert about.count() == 30


def test_an_acknowledged_warning_that_escalates_is_open_again(med):
    operator = med.user("ha", "operator")
    submit(operator, day=day(2), icu_occupied=8)
    alert = icu_alerts(med.units["hosp_a"]).get()
    capacity_alert_transition(
        actor=med.user("cdc_d1", "inspector"), alert_id=alert.pk, action="acknowledge", version=1
    )
    submit(operator, day=day(1), icu_occupied=10)
    alert.refresh_from_db()
    assert (alert.level, alert.state) == (Level.ALERT, AlertState.OPEN)
    assert [(e.action, e.from_state, e.to_state) for e in alert.events.all()] == [
        ("raise", "", "open"),
        ("acknowledge", "open", "acknowledged"),
        ("escalate", "acknowledged", "open"),
    ]


def test_an_older_day_never_changes_an_alert_a_later_report_set(med):
    operator = med.user("ha", "operator")
    submit(operator, day=day(2), icu_occupied=5)
    submit(operator, day=day(1), icu_occupied=9)
    alert = icu_alerts(med.units["hosp_a"]).get()
    # A correction of the older day (still under the levels) evaluates the latest day.
    submit(operator, day=day(2), icu_occupied=4)
    capacity_alerts_evaluate(day=day(2), now=NOW)  # and day 2 itself changes nothing
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN and alert.last_day == day(1)


def test_a_metric_without_a_value_leaves_its_alert_alone(med):
    operator = med.user("ha", "operator")
    submit(operator, day=day(1), icu_occupied=9)
    submit(operator, day=day(0), icu_beds=0, icu_occupied=0)  # no ICU beds: no ICU occupancy
    alert = icu_alerts(med.units["hosp_a"]).get()
    assert alert.state == AlertState.OPEN and alert.last_day == day(1)


def test_fever_visits_against_the_28_day_baseline(med):
    operator = med.user("ha", "operator")
    unit = med.units["hosp_a"]
    seed_history(unit, 10, fever_clinic_visits=20)
    submit(operator, fever_clinic_visits=60)  # only 10 days of baseline: not evaluated
    assert not CapacityAlert.objects.filter(metric=Metric.FEVER_VISITS).exists()
    seed_history(unit, 28, end=day(10), fever_clinic_visits=20)  # now 28 days before today
    submit(operator, fever_clinic_visits=45, note="recount")  # 45 / 20 = 225%
    alert = CapacityAlert.objects.get(metric=Metric.FEVER_VISITS)
    assert alert.level == Level.ALERT and alert.value == 225.0
    assert alert.evidence["baseline_days"] == 28 and alert.evidence["baseline_mean"] == 20.0
    # A unit seeing few fever patients is not alarmed by small numbers.
    other = med.units["clinic_a"]
    seed_history(other, 28, fever_clinic_visits=2)
    CapacityReport.objects.create(
        hospital_id=other, day=TODAY, **(FIGURES | {"fever_clinic_visits": 9}), reported_at=NOW
    )
    capacity_alerts_evaluate(day=TODAY, scope="hospital", hospital_ids=[other], now=NOW)
    assert not CapacityAlert.objects.filter(hospital_id=other).exists()  # mean 2 < 5


def test_region_totals_raise_region_alerts(med, client):
    submit(med.user("ha", "operator"), icu_occupied=9)  # 90%
    for key, icu in (("clinic_a", 7), ("hosp_b", 2)):
        CapacityReport.objects.create(
            hospital_id=med.units[key],
            day=TODAY,
            **(FIGURES | {"icu_occupied": icu}),
            reported_at=NOW,
        )
    result = capacity_alerts_evaluate(day=TODAY, scope="region", now=NOW)
    assert result.subjects == 3  # the city and its two districts
    d1 = CapacityAlert.objects.get(hospital__isnull=True, metric=Metric.ICU_OCCUPANCY)
    assert d1.region_id == med.regions["D1"] and d1.value == 80.0  # 16 of 20
    assert d1.evidence["icu_occupied"] == 16 and d1.evidence["hospitals_reporting"] == 2
    assert d1.level == Level.WARNING
    # D2 (20%) and the city (18 of 30: 60%) stay under the levels.
    assert not CapacityAlert.objects.filter(
        hospital__isnull=True, metric=Metric.ICU_OCCUPANCY
    ).exclude(pk=d1.pk)
    told = recipients(f"capacity-alert:{d1.pk}:")
    assert told == {f"{o}-{r}" for o in ("cdc_d1", "health", "d1") for r in _roles()}

    login(client, "d1-viewer")
    answer = client.get(
        "/api/v1/medical/regions", {"day": TODAY.isoformat()}, headers={"accept-language": "en"}
    ).json()
    assert answer["region"]["id"] == med.regions["D1"]
    assert answer["totals"]["icu_occupied"] == 16 and answer["totals"]["reporting"] == 2
    assert answer["totals"]["icu_occupancy"] == 80.0 and answer["totals"]["units"] == 2
    login(client, "cityhall-viewer")
    answer = client.get("/api/v1/medical/regions", {"day": TODAY.isoformat()}).json()
    rows = {r["region"]["id"]: r for r in answer["regions"]}
    assert rows[med.regions["D1"]]["icu_occupied"] == 16
    assert rows[med.regions["D2"]]["icu_occupied"] == 2
    assert answer["totals"]["icu_occupied"] == 18 and answer["totals"]["icu_capacity"] == 45


def _roles():
    return ("viewer", "operator", "inspector", "manager", "admin")


def test_a_less_than_threshold_too(med):
    """The region's ICU share under 4% of beds is a warning (a '<' threshold)."""
    submit(med.user("ha", "operator"), icu_beds=3, icu_occupied=1)
    capacity_alerts_evaluate(day=TODAY, scope="region", now=NOW)
    share = CapacityAlert.objects.get(region_id=med.regions["D1"], metric=Metric.ICU_SHARE)
    assert share.value == 3.0 and share.comparison == "lt" and share.unconfirmed == ""
    assert not CapacityAlert.objects.filter(metric=Metric.CRITICAL_CARE_SHARE).exists()  # 8%
    submit(med.user("ha", "operator"), icu_beds=5, icu_occupied=1, note="more ICU")
    capacity_alerts_evaluate(day=TODAY, scope="region", now=NOW)
    share.refresh_from_db()
    assert share.state == AlertState.CLOSED


# --- thresholds ------------------------------------------------------------------------


def test_the_shipped_thresholds_are_loaded_and_flagged():
    rows = thresholds.shipped()
    assert CapacityThreshold.objects.count() == len(rows)  # loaded by the migration
    for row in rows:
        # A value without a confirmed source says so, in the reader's language.
        flagged = row.unconfirmed.startswith("未经确认") and row.unconfirmed_en.startswith(
            "UNCONFIRMED"
        )
        assert flagged or row.source.startswith("2022年12月要求"), row
    icu = CapacityThreshold.objects.get(metric="icu_occupancy", scope="hospital", level="alert")
    assert (icu.comparison, icu.value) == ("gte", Decimal("85"))
    staff = CapacityThreshold.objects.get(metric="staff_absence", scope="hospital", level="alert")
    assert staff.value == Decimal("15")


def test_loading_again_keeps_edits_unless_told_to_overwrite():
    icu = CapacityThreshold.objects.get(metric="icu_occupancy", scope="hospital", level="alert")
    icu.value = Decimal("90")
    icu.save()
    missing = CapacityThreshold.objects.get(metric="ventilator_use", scope="region", level="alert")
    missing.delete()
    assert capacity_thresholds_load() == {"created": 1, "updated": 0}
    icu.refresh_from_db()
    assert icu.value == Decimal("90")
    assert capacity_thresholds_load(overwrite=True) == {"created": 0, "updated": 1}
    icu.refresh_from_db()
    assert icu.value == Decimal("85")
    log = ChangeLog.objects.filter(model="medical.CapacityThreshold").order_by("id")
    assert [e.action for e in log] == ["create", "update"]
    assert log[1].before["value"] == "90.00" and log[1].after["value"] == "85.00"


def test_a_bad_data_file_names_the_row(tmp_path):
    document = {"thresholds": [yaml.safe_load(thresholds.DATA.read_text())["thresholds"][0]]}
    document["thresholds"].append(dict(document["thresholds"][0], comparison="about"))
    path = tmp_path / "thresholds.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ValueError, match="threshold 2: comparison"):
        thresholds.shipped(path)
    document["thresholds"][1]["comparison"] = "gte"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ValueError, match="appears twice"):
        thresholds.shipped(path)


def test_an_edited_threshold_applies_to_the_next_evaluation(med, admin_client):
    icu = CapacityThreshold.objects.get(metric="icu_occupancy", scope="hospital", level="warning")
    url = f"/admin/medical/capacitythreshold/{icu.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    values = {k: v for k, v in form.initial.items() if v is not None}
    values |= {"value": "50", "params": "{}", "is_active": "on"}
    answer = admin_client.post(url, values)
    assert answer.status_code == 302, answer.content
    assert ChangeLog.objects.filter(model="medical.CapacityThreshold", comment="admin").exists()
    submit(med.user("ha", "operator"), icu_occupied=6)  # 60%: a warning now
    assert icu_alerts(med.units["hosp_a"]).get().threshold_value == Decimal("50")


def test_a_late_unit_counts_in_its_region_with_its_latest_report(med, client):
    """A unit without a report today counts with its report of the two days before; an
    older one no longer counts."""
    yesterday, long_ago = day(1), day(3)
    CapacityReport.objects.create(
        hospital_id=med.units["clinic_a"],
        day=yesterday,
        **(FIGURES | {"icu_occupied": 9}),
        reported_at=NOW,
    )
    CapacityReport.objects.create(
        hospital_id=med.units["hosp_b"],
        day=long_ago,
        **(FIGURES | {"icu_occupied": 9}),
        reported_at=NOW,
    )
    submit(med.user("ha", "operator"), icu_occupied=8)
    capacity_alerts_evaluate(day=TODAY, scope="region", now=NOW)
    d1 = CapacityAlert.objects.get(region_id=med.regions["D1"], metric=Metric.ICU_OCCUPANCY)
    assert d1.value == 85.0 and d1.evidence["icu_occupied"] == 17
    assert (d1.evidence["hospitals_reporting"], d1.evidence["hospitals_carried"]) == (1, 1)
    assert not CapacityAlert.objects.filter(region_id=med.regions["D2"]).exists()
    login(client, "cityhall-viewer")
    view = client.get("/medical/", {"day": TODAY.isoformat()}).context["view"]
    assert (view.totals.reporting, view.totals.carried) == (1, 1)
    assert view.totals.figures["icu_occupied"] == 17  # hospital B's report is too old
    # The trend counts each day the same way: yesterday had the clinic (and hospital B,
    # two days after its report), today the clinic is carried.
    assert view.trend["icu_occupied"][-3:] == [9, 9 + 9, 8 + 9]
    assert view.trend["reporting"][-3:] == [0, 1, 1] and view.trend["carried"][-3:] == [1, 1, 1]


def test_the_unconfirmed_note_is_shown_in_the_readers_language(med, client, settings):
    submit(med.user("ha", "operator"), icu_occupied=9)
    alert = icu_alerts(med.units["hosp_a"]).get()
    login(client, "cdc_d1-viewer")
    path = f"/api/v1/medical/alerts/{alert.pk}"
    english = client.get(path).json()["unconfirmed"]
    page = client.get(f"/medical/alerts/{alert.pk}/").content.decode()
    assert english in page  # pages in English (the language cookie, conftest)
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    chinese = client.get(path, headers={"accept-language": "zh-hans"}).json()["unconfirmed"]
    assert english == "UNCONFIRMED: no standard found that sets an ICU occupancy alert level."
    assert chinese.startswith("未经确认") and "ICU" in chinese
    told = Notification.objects.filter(key__startswith=f"capacity-alert:{alert.pk}:").first()
    assert chinese in told.body  # notifications go out in the site's language


def test_the_thresholds_command(capsys):
    from django.core.management import call_command

    CapacityThreshold.objects.filter(metric="fever_visits", scope="region").delete()
    call_command("capacity_thresholds")
    assert '"created": 2' in capsys.readouterr().out
    entry = ChangeLog.objects.filter(model="medical.CapacityThreshold").latest("id")
    assert entry.client == "cli" and entry.action == "create"
