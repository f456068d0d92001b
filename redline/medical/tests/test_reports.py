"""The daily report: every field validated with a message naming it, a retried submission
never duplicates, a correction is a new version with the earlier one kept, and only the
hospital's own writers submit."""

from __future__ import annotations

import datetime as dt

import pytest

from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog
from redline.medical.forms import CapacityReportForm
from redline.medical.models import CapacityReport
from redline.medical.services import CapacityReportInput, capacity_report_submit
from redline.medical.tests.conftest import FIGURES, TODAY, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def data(**changes) -> CapacityReportInput:
    return CapacityReportInput.of({"day": TODAY, **FIGURES, **changes})


def refused(user, **changes) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as failure:
        capacity_report_submit(actor=user, data=data(**changes))
    assert CapacityReport.objects.count() == 0
    return failure.value.fields


def missing(name: str) -> dict[str, str]:
    given = {"day": TODAY, **FIGURES}
    del given[name]
    with pytest.raises(ValidationFailed) as failure:
        CapacityReportInput.of(given)
    return failure.value.fields


@pytest.mark.parametrize("name", list(FIGURES))
def test_each_figure_is_required_and_a_whole_number_of_0_or_more(med, name):
    operator = med.user("ha", "operator")
    assert "required" in missing(name)[name]
    assert "0 or more" in refused(operator, **{name: -1})[name]
    assert "At most" in refused(operator, **{name: 1_000_001})[name]
    # What is no whole number never reaches the service: the form refuses it (the API's
    # schema too, see test_api), naming the field.
    for bad in ("", "seven", "3.5", "2.5"):
        form = CapacityReportForm({"day": TODAY.isoformat(), **FIGURES, name: bad})
        assert not form.is_valid() and set(form.errors) == {name}, (bad, form.errors)


@pytest.mark.parametrize(
    ("changes", "field", "needle"),
    [
        ({"beds_occupied": 101}, "beds_occupied", "cannot exceed beds"),
        ({"icu_occupied": 11}, "icu_occupied", "cannot exceed ICU beds"),
        ({"ventilators_in_use": 11}, "ventilators_in_use", "cannot exceed ventilators"),
        ({"staff_absent": 101}, "staff_absent", "cannot exceed staff"),
        ({"icu_beds": 101, "icu_convertible": 0}, "icu_beds", "part of the beds"),
        ({"beds_occupied": 4}, "icu_occupied", "part of the occupied beds"),
        ({"icu_convertible": 91}, "icu_convertible", "together cannot exceed"),
    ],
)
def test_figures_are_checked_against_each_other(med, changes, field, needle):
    fields = refused(med.user("ha", "operator"), **changes)
    assert needle in fields[field]
    assert str(changes[next(iter(changes))]) in fields[field]  # the message gives the figure


def test_day_is_required_parsed_and_never_in_the_future(med):
    operator = med.user("ha", "operator")
    assert "required" in missing("day")["day"]
    form = CapacityReportForm({"day": "20/03/2026", **FIGURES})
    assert not form.is_valid() and set(form.errors) == {"day"}
    assert "future" in refused(operator, day=TODAY + dt.timedelta(days=1))["day"]
    assert submit(operator, day=TODAY - dt.timedelta(days=3)).day == TODAY - dt.timedelta(days=3)


def test_unknown_fields_and_long_notes_are_refused(med):
    operator = med.user("ha", "operator")
    assert refused(operator, oxygen=3) == {"oxygen": "Unknown field."}
    assert "500" in refused(operator, note="x" * 501)["note"]


def test_every_bad_field_is_named_at_once(med):
    fields = refused(med.user("ha", "operator"), beds=-1, icu_occupied=-5, staff_absent=101)
    assert set(fields) == {"beds", "icu_occupied", "staff_absent"}


def test_a_retry_with_the_same_key_returns_the_first_report(med):
    operator = med.user("ha", "operator")
    first, created = capacity_report_submit(actor=operator, data=data(), idempotency_key="k1")
    again, created_again = capacity_report_submit(actor=operator, data=data(), idempotency_key="k1")
    assert created and not created_again and again.pk == first.pk
    assert CapacityReport.objects.count() == 1
    assert ChangeLog.objects.filter(model="medical.CapacityReport").count() == 1
    # The same key with other figures is not a retry: refused, nothing stored.
    with pytest.raises(Conflict):
        capacity_report_submit(actor=operator, data=data(beds=120), idempotency_key="k1")
    assert CapacityReport.objects.count() == 1
    # Keys belong to their user: another user's identical key is a new submission.
    manager = med.user("ha", "manager")
    second, created = capacity_report_submit(
        actor=manager, data=data(beds=120), idempotency_key="k1"
    )
    assert created and second.version == 2


def test_a_correction_is_a_new_version_and_the_first_is_kept(med):
    operator = med.user("ha", "operator")
    first = submit(operator, key="a")
    corrected = submit(operator, key="b", icu_occupied=7, note="ICU count corrected")
    first.refresh_from_db()
    assert (first.version, corrected.version) == (1, 2)
    assert first.superseded_at is not None and corrected.superseded_at is None
    assert first.icu_occupied == 5 and corrected.icu_occupied == 7
    assert CapacityReport.objects.current().get().pk == corrected.pk
    log = ChangeLog.objects.filter(model="medical.CapacityReport").order_by("id")
    assert [e.action for e in log] == ["create", "update"]
    assert log[1].before["icu_occupied"] == 5 and log[1].after["icu_occupied"] == 7
    assert log[1].enterprise_id == med.units["hosp_a"]


def test_the_same_figures_again_change_nothing(med):
    operator = med.user("ha", "operator")
    first = submit(operator, key="a")
    same, created = capacity_report_submit(actor=operator, data=data(), idempotency_key="b")
    assert not created and same.pk == first.pk and CapacityReport.objects.count() == 1


def test_a_stale_version_is_a_conflict_and_changes_nothing(med):
    operator = med.user("ha", "operator")
    submit(operator, key="a")  # version 1 now exists
    with pytest.raises(Conflict) as conflict:
        capacity_report_submit(actor=operator, data=data(beds=130, version=0))
    assert "version 1" in conflict.value.message
    assert CapacityReport.objects.count() == 1
    fixed, created = capacity_report_submit(actor=operator, data=data(beds=130, version=1))
    assert created and fixed.version == 2


def test_only_the_units_own_writers_submit(med):
    unit = med.units["hosp_a"]
    for org, role, error in [
        ("ha", "viewer", PermissionDenied),
        ("ha", "inspector", PermissionDenied),
        ("cdc_d1", "admin", PermissionDenied),
        ("health", "manager", PermissionDenied),
        ("cityhall", "admin", PermissionDenied),
        ("hb", "admin", NotFound),
        ("cdc_d2", "admin", NotFound),
    ]:
        with pytest.raises(error):
            submit(med.user(org, role), unit=unit)
    assert CapacityReport.objects.count() == 0
    for role in ("operator", "manager", "admin"):
        submit(med.user("ha", role), beds=100 + len(role))
    assert CapacityReport.objects.filter(hospital_id=unit).count() == 3


def test_only_hospitals_and_fever_clinics_report(med, world):
    from redline.organisations.models import Organisation

    school = Organisation.objects.get(pk=world.orgs["ent"].pk)  # a hazchem enterprise
    user = med.user("ent", "admin")
    assert user.organisation_id == school.pk
    fields = refused(user)
    assert "hospitals and fever clinics" in fields["hospital"]


def test_a_missing_unit_is_required_for_users_without_one(med):
    with pytest.raises(ValidationFailed) as failure:
        capacity_report_submit(actor=med.user("cityhall", "admin"), data=data())
    assert "hospital" in failure.value.fields
