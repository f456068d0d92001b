"""Recording case counts and key-group counts: every problem named by row and field, all or
nothing, idempotent batches (also when two retries race), corrections kept so that the
counts as known on any past day can be read back, who may submit, and the change log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import translation

from redline.accounts.models import User
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog
from redline.epidemic import services
from redline.epidemic.forms import KeyGroupForm
from redline.epidemic.models import CaseCount, IngestBatch, KeyGroupCount
from redline.epidemic.reporting import reporter
from redline.epidemic.services import (
    KeyGroupCountInput,
    case_counts_record,
    key_group_count_record,
)
from redline.epidemic.tests.counts_data import NOW, USERS, WRITE_ROLES, WRITERS, epi
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db
__all__ = ["epi"]

DAY1 = dt.date(2026, 3, 8)
NOW_DAY2 = NOW + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def row(epi, *, condition="hfmd", region="S21", place=None, date="2026-03-08", count=3):
    return {
        "condition": condition,
        "region": epi.regions[region].code if region in epi.regions else region,
        "place": place,
        "date": date,
        "count": count,
    }


def record(epi, rows, *, user=None, key="k1", now=NOW):
    return case_counts_record(
        rows=rows,
        source="api",
        key=key,
        user=user or epi.user("cdc_d2", "operator"),
        now=now,
    )


def totals():
    return (CaseCount.objects.count(), IngestBatch.objects.count(), ChangeLog.objects.count())


# --- checks, row by row --------------------------------------------------------------------


BAD_ROWS = [
    ({"condition": "smallpox"}, "condition", "No disease or syndrome smallpox"),
    ({"condition": ""}, "condition", "required"),
    ({"region": "999999"}, "region", "No region with the code 999999"),
    ({"region": "S11"}, "region", "outside your jurisdiction"),
    ({"region": ""}, "region", "required"),
    ({"place": "123456789"}, "place", "No key place 123456789 in your jurisdiction"),
    ({"place": "U-S11-school"}, "place", "No key place"),  # a D1 place, for a D2 CDC
    ({"place": "U-S21-hazchem"}, "place", "No key place"),  # not a key place: not visible
    ({"place": "U-S22-school"}, "region", "is in the region"),  # region S21 given
    ({"date": "2026-02-30"}, "date", "Not a date"),
    ({"date": "08/03/2026"}, "date", "Not a date"),
    ({"date": "2026-03-11"}, "date", "is in the future"),
    ({"date": None}, "date", "required"),
    ({"count": -1}, "count", "cannot be negative"),
    ({"count": 2.5}, "count", "not a fraction"),
    ({"count": "2.5"}, "count", "not a fraction"),
    ({"count": "three"}, "count", "whole number"),
    ({"count": True}, "count", "whole number"),
    ({"count": None}, "count", "required"),
    ({"count": 5_000_000}, "count", "plausible maximum"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_ROWS)
def test_a_bad_value_is_named_by_row_and_field_and_nothing_is_saved(epi, change, field, message):
    change = dict(change)
    if str(change.get("place", "")).startswith("U-"):
        change["place"] = Enterprise.objects.get(name=change["place"]).pk
    if change.get("region") in epi.regions:
        change["region"] = epi.regions[change["region"]].code
    before = totals()
    good = row(epi, condition="mumps")
    with pytest.raises(services.RowsInvalid) as raised:
        record(epi, [good, row(epi) | change])
    errors = raised.value.errors
    assert [(e.row, e.field) for e in errors] == [(2, field)], errors
    assert message in errors[0].message
    assert raised.value.fields == {f"rows.2.{field}": errors[0].message}
    assert totals() == before


def test_every_problem_is_reported_at_once_in_row_order(epi):
    rows = [
        row(epi, count=-2),
        row(epi, condition="mumps"),
        row(epi, condition="nope", region="999", date="tomorrow"),
        row(epi, condition="mumps"),
    ]
    with pytest.raises(services.RowsInvalid) as raised:
        record(epi, rows)
    found = [(e.row, e.field) for e in raised.value.errors]
    assert found == [(1, "count"), (3, "condition"), (3, "region"), (3, "date"), (4, "date")]
    assert "Row 2 already gives" in raised.value.errors[-1].message


def test_row_numbers_given_with_the_rows_are_kept(epi):
    with pytest.raises(services.RowsInvalid) as raised:
        record(epi, [row(epi) | {"row": 17, "count": -1}])
    assert raised.value.errors[0].row == 17


def test_an_inactive_condition_is_refused(epi):
    epi.conditions["rubella"].is_active = False
    epi.conditions["rubella"].save()
    with pytest.raises(services.RowsInvalid, match="1 problem"):
        record(epi, [row(epi, condition="rubella")])


def test_a_condition_may_be_given_by_name(epi):
    done = record(epi, [row(epi, condition="手足口病"), row(epi, condition="Mumps")])
    assert done.result["created"] == 2


def test_a_key_place_submits_its_own_counts_only(epi):
    school = epi.places["U-S11-school"]
    own = epi.user("place11", "operator")
    with pytest.raises(services.RowsInvalid, match="1 problem") as raised:
        record(epi, [row(epi, region="S11")], user=own)
    assert raised.value.errors[0].field == "place"
    other = epi.places["U-S12-school"]
    with pytest.raises(services.RowsInvalid):
        record(epi, [row(epi, region="S12", place=other.pk)], user=own)
    done = record(
        epi,
        [row(epi, condition="fever_respiratory_place", region="S11", place=school.credit_code)],
        user=own,
    )
    assert done.result["created"] == 1
    saved = CaseCount.objects.get(batch=done.batch)
    assert (saved.place_id, saved.region_id, saved.count) == (school.pk, school.region_id, 3)


def test_a_superuser_is_told_a_unit_is_not_a_key_place(epi):
    admin = User.objects.create(username="root-epi", is_superuser=True)
    unit = Enterprise.objects.get(name="U-S21-hazchem")
    with pytest.raises(services.RowsInvalid, match="1 problem") as raised:
        record(epi, [row(epi, place=unit.pk)], user=admin)
    assert "Not a key place" in raised.value.errors[0].message


@pytest.mark.parametrize("org", USERS)
@pytest.mark.parametrize("role", ROLES)
def test_only_public_health_and_key_places_may_submit(epi, org, role):
    user = epi.user(org, role)
    place = epi.places["U-S11-school"]
    target = (
        row(epi, condition="mumps", region="S11", place=place.pk)
        if org == "place11"
        else row(epi, condition="mumps")
    )
    before = totals()
    if org in WRITERS and role in WRITE_ROLES:
        assert record(epi, [target], user=user).result["created"] == 1
        return
    with pytest.raises(PermissionDenied):
        record(epi, [target], user=user)
    assert totals() == before


def test_nothing_to_record_and_too_many_rows(epi, monkeypatch):
    with pytest.raises(ValidationFailed) as raised:
        record(epi, [])
    assert "rows" in raised.value.fields
    monkeypatch.setattr(services, "MAX_ROWS", 2)
    with pytest.raises(ValidationFailed) as raised:
        record(epi, [row(epi), row(epi), row(epi)])
    assert "At most 2 rows" in raised.value.fields["rows"]


def test_a_key_is_required(epi):
    with pytest.raises(ValidationFailed):
        record(epi, [row(epi)], key="  ")


# --- idempotency ---------------------------------------------------------------------------


def test_a_retried_batch_answers_the_first_result_and_records_nothing_twice(epi):
    rows = [row(epi), row(epi, condition="mumps", count=0)]
    first = record(epi, rows, key="batch-7")
    assert not first.replayed and first.result["created"] == 2
    before = totals()
    again = record(epi, rows, key="batch-7", now=NOW_DAY2)
    assert again.replayed and again.result == first.result and again.batch == first.batch
    assert totals() == before


def test_the_same_key_with_other_rows_is_refused(epi):
    record(epi, [row(epi)], key="batch-8")
    before = totals()
    with pytest.raises(Conflict, match="already used for a different submission"):
        record(epi, [row(epi, count=4)], key="batch-8")
    assert totals() == before


def test_keys_are_per_user(epi):
    first = record(epi, [row(epi)], key="same", user=epi.user("cdc_d2", "operator"))
    second = record(epi, [row(epi, count=9)], key="same", user=epi.user("cdc_d2", "manager"))
    assert not second.replayed and second.result["corrected"] == 1
    assert first.batch.key != second.batch.key


def test_a_long_key_is_kept_unique(epi):
    done = record(epi, [row(epi)], key="x" * 300)
    assert len(done.batch.key) <= 80
    assert record(epi, [row(epi)], key="x" * 300).replayed


def test_two_retries_racing_with_the_same_key_record_once(epi, monkeypatch):
    """The race: both requests find no batch under the key, both check their rows; the
    second's insert of the batch then hits the unique key (on PostgreSQL it waits for the
    first to commit). It must answer the first's result and record nothing."""
    rows = [row(epi), row(epi, condition="mumps")]
    first = record(epi, rows, key="race")
    real_replay = services._replay
    calls = []

    def stale_then_real(stored_key, digest):
        calls.append(stored_key)
        return None if len(calls) == 1 else real_replay(stored_key, digest)

    monkeypatch.setattr(services, "_replay", stale_then_real)
    before = totals()
    second = record(epi, rows, key="race")
    assert len(calls) == 2  # the stale look-up, then the one after the unique key failed
    assert second.replayed and second.result == first.result
    assert totals() == before


def test_a_count_written_meanwhile_by_another_batch_is_read_again(epi, monkeypatch):
    """Another submission records the same series and day between this one's read and its
    insert: the one-current-row constraint fails, the write is retried with a fresh read
    and becomes a correction."""
    record(epi, [row(epi, count=3)], key="other")
    real_current = services._current
    calls = []

    def stale_then_real(counts):
        calls.append(1)
        return {} if len(calls) == 1 else real_current(counts)

    monkeypatch.setattr(services, "_current", stale_then_real)
    done = record(epi, [row(epi, count=5)], key="mine", now=NOW_DAY2)
    assert len(calls) == 2 and done.result["corrected"] == 1
    current = CaseCount.objects.current().filter(condition__code="hfmd", day=DAY1)
    assert [c.count for c in current] == [5]
    assert IngestBatch.objects.filter(key__endswith=":mine").count() == 1


def test_a_race_that_keeps_failing_answers_409_and_saves_nothing(epi, monkeypatch):
    def always_stale(counts):
        return {}

    record(epi, [row(epi, count=3)], key="first")
    monkeypatch.setattr(services, "_current", always_stale)
    before = totals()
    with pytest.raises(Conflict):
        record(epi, [row(epi, count=5)], key="second")
    assert totals() == before


def test_an_integrity_error_without_a_winner_is_not_swallowed_as_a_replay(epi, monkeypatch):
    def broken(**kwargs):
        raise IntegrityError("disk full")

    monkeypatch.setattr(services, "_write", broken)
    with pytest.raises(Conflict):
        record(epi, [row(epi)], key="broken")
    assert not IngestBatch.objects.filter(key__endswith=":broken").exists()


# --- corrections and what was known when ---------------------------------------------------


def test_a_correction_keeps_what_was_known_on_each_day(epi):
    day1 = NOW.date()
    first = record(epi, [row(epi, count=3), row(epi, condition="mumps", count=1)], key="a")
    assert first.result == first.result | {"created": 2, "corrected": 0, "unchanged": 0}
    second = record(
        epi, [row(epi, count=5), row(epi, condition="mumps", count=1)], key="b", now=NOW_DAY2
    )
    assert second.result | {"key": "", "received_at": "", "digest": ""} == {
        "key": "",
        "received_at": "",
        "digest": "",
        "rows": 2,
        "created": 0,
        "corrected": 1,
        "unchanged": 1,
    }
    hfmd = CaseCount.objects.filter(condition__code="hfmd", day=DAY1, region__code__isnull=False)
    assert [c.count for c in hfmd.as_known_on(day1)] == [3]
    assert [c.count for c in hfmd.as_known_on(day1 + dt.timedelta(days=1))] == [5]
    assert [c.count for c in hfmd.as_known_on(day1 - dt.timedelta(days=1))] == []
    assert [c.count for c in hfmd.current()] == [5]
    old = hfmd.get(count=3)
    assert (old.known_from, old.superseded_on) == (day1, day1 + dt.timedelta(days=1))
    # The unchanged mumps count wrote nothing: still one row, known from day 1.
    mumps = CaseCount.objects.filter(condition__code="mumps", day=DAY1)
    assert [(c.count, c.known_from) for c in mumps] == [(1, day1)]


def test_a_correction_on_the_same_day_is_never_the_value_of_that_day(epi):
    record(epi, [row(epi, count=3)], key="a")
    record(epi, [row(epi, count=4)], key="b")
    hfmd = CaseCount.objects.filter(condition__code="hfmd", day=DAY1)
    assert [c.count for c in hfmd.as_known_on(NOW.date())] == [4]
    assert hfmd.count() == 2


def test_the_change_log_holds_the_batch_and_each_correction(epi):
    record(epi, [row(epi, count=3)], key="a")
    before = ChangeLog.objects.count()
    done = record(epi, [row(epi, count=7)], key="b", now=NOW_DAY2)
    entries = ChangeLog.objects.order_by("id")[before:]
    assert [e.model for e in entries] == ["epidemic.CaseCount", "epidemic.IngestBatch"]
    correction, batch = entries
    assert correction.action == "update"
    assert correction.before["superseded_on"] is None
    assert correction.after["superseded_on"] == "2026-03-11"
    assert "from 3 to 7" in correction.comment
    assert batch.action == "create" and batch.after["result"]["corrected"] == 1
    assert batch.object_id == str(done.batch.pk)


def test_place_counts_are_logged_under_the_place(epi):
    school = epi.places["U-S11-school"]
    done = record(
        epi,
        [row(epi, condition="gastro_place", region="S11", place=school.pk)],
        user=epi.user("place11", "manager"),
    )
    entry = ChangeLog.objects.get(model="epidemic.IngestBatch", object_id=str(done.batch.pk))
    assert entry.enterprise_id == school.pk


# --- key-group counts ----------------------------------------------------------------------


def group_data(epi, **changes) -> KeyGroupCountInput:
    given = {
        "region": epi.regions["S21"].code,
        "place": None,
        "group": "aged_65",
        "count": 1200,
        "as_of": dt.date(2026, 3, 1),
        "source": "户籍登记",
    }
    return KeyGroupCountInput.of(given | changes)


def test_a_key_group_count_is_recorded_then_replaced_for_the_same_date(epi):
    user = epi.user("cdc_d2", "operator")
    row_, outcome = key_group_count_record(user=user, data=group_data(epi, count=1250), now=NOW)
    assert outcome == "replaced"  # the fixture had 2000 for S21 on that date
    assert row_.count == 1250
    entry = ChangeLog.objects.filter(model="epidemic.KeyGroupCount").latest("id")
    assert (entry.action, entry.before["count"], entry.after["count"]) == ("update", 2000, 1250)
    again, outcome = key_group_count_record(user=user, data=group_data(epi, count=1250), now=NOW)
    assert outcome == "unchanged" and again.pk == row_.pk
    new, outcome = key_group_count_record(
        user=user, data=group_data(epi, as_of=dt.date(2026, 3, 9), group="unvaccinated"), now=NOW
    )
    assert outcome == "created" and new.group == "unvaccinated"
    assert KeyGroupCount.objects.filter(series_key=new.series_key, group="aged_65").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"as_of": dt.date(2026, 3, 11)}, "as_of"),
        ({"count": -3}, "count"),
        ({"count": 100_000_001}, "count"),
        ({"region": "S11"}, "region"),
    ],
)
def test_a_bad_key_group_count_names_the_field(epi, change, field):
    if change.get("region") == "S11":
        change = {"region": epi.regions["S11"].code}
    before = KeyGroupCount.objects.count(), ChangeLog.objects.count()
    with pytest.raises(ValidationFailed) as raised:
        key_group_count_record(
            user=epi.user("cdc_d2", "operator"), data=group_data(epi, **change), now=NOW
        )
    assert list(raised.value.fields) == [field]
    assert (KeyGroupCount.objects.count(), ChangeLog.objects.count()) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"group": "pets"}, "group"),
        ({"source": ""}, "source"),
        ({"source": "x" * 201}, "source"),
        ({"as_of": "11/03/2026x"}, "as_of"),
        ({"count": "many"}, "count"),
    ],
)
def test_what_is_no_key_group_count_is_named_by_the_form(epi, change, field):
    region = epi.regions["S21"]
    given = {"where": f"r{region.pk}", "group": "aged_65", "count": "1200"}
    given |= {"as_of": "2026-03-01", "source": "户籍登记"} | change
    form = KeyGroupForm(given, who=reporter(epi.user("cdc_d2", "operator")))
    assert not form.is_valid() and set(form.errors) == {field}, form.errors


def test_readers_may_not_record_key_groups(epi):
    for org in ("cityhall", "d2", "education", "ent"):
        with pytest.raises(PermissionDenied):
            key_group_count_record(user=epi.user(org, "admin"), data=group_data(epi), now=NOW)


def test_today_is_the_local_date(epi):
    # 23:30 UTC on 10 March is already 11 March in the city: that date is not in the future.
    late = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)
    done = record(epi, [row(epi, date="2026-03-11")], now=late)
    assert CaseCount.objects.get(batch=done.batch).known_from == dt.date(2026, 3, 11)
    with pytest.raises(services.RowsInvalid, match="1 problem"):
        record(epi, [row(epi, date="2026-03-12")], now=late, key="later")
