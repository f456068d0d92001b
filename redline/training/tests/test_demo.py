"""The demo's training files: deterministic, most people compliant, some with lapsed
refresher hours, some special-operation certificates expired (flagged once by the expiry
sweep), and at least one person with both, who shows as not compliant in their unit."""

from __future__ import annotations

import pytest

from redline.accounts.models import User
from redline.organisations import demo
from redline.organisations.models import Enterprise
from redline.training import selectors
from redline.training.deadlines import certificate_expiry_sweep
from redline.training.demo import build_training
from redline.training.models import Certificate, CertificateEvent, TrainingProfile, TrainingRecord

pytestmark = pytest.mark.django_db


def _fingerprint() -> list[tuple[object, ...]]:
    return list(
        TrainingRecord.objects.order_by("person__name", "day", "course", "hours").values_list(
            "person__name", "day", "course", "hours", "level", "purpose"
        )
    ) + list(
        Certificate.objects.order_by("number").values_list(
            "person__name", "kind", "item", "number", "issued_on", "valid_until"
        )
    )


def test_the_demo_writes_training_files_with_some_lapsed(client):
    demo.build_city(seed=1, scale="small", progress=lambda m: None, steps=[build_training])
    assert TrainingProfile.objects.count() > 100
    admin = User.objects.get(username="sysadmin")
    statuses = []
    for unit in Enterprise.objects.order_by("pk"):
        statuses += selectors.unit_statuses(admin, unit)
    lacking = [{f.code for f in s.lacking} for s in statuses]
    both = [
        s
        for s, codes in zip(statuses, lacking, strict=True)
        if {"refresher_lapsed", "certificate_expired"} <= codes
    ]
    assert both, "someone with lapsed hours and an expired special-operation certificate"
    assert sum("refresher_lapsed" in c for c in lacking) >= 5
    assert sum("certificate_expired" in c for c in lacking) >= 3
    assert sum(s.result.compliant for s in statuses) > len(statuses) / 2
    expired = Certificate.objects.filter(kind="special_operation", overdue_since__isnull=False)
    assert expired.exists()
    assert CertificateEvent.objects.filter(action="overdue").count() == expired.count()
    assert certificate_expiry_sweep() == {"reminded": 0, "overdue": 0, "escalated": 0}
    person = both[0].person
    rows = selectors.compliance(admin, unit=person.enterprise)
    assert rows[0]["compliant"] < rows[0]["people"] and rows[0]["lacking_certificate"] >= 1
    client.force_login(admin)
    page = client.get(f"/training/units/{person.enterprise_id}/")
    assert f'id="person-{person.pk}" data-compliant="no"' in page.content.decode()


def test_the_demo_is_deterministic():
    # Units already in the database (the access-test world, when an earlier test of the
    # session built it) are not the demo's: the second build gets the demo's units only.
    before = Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    demo.build_city(seed=3, scale="small", progress=lambda m: None, steps=[build_training])
    first = _fingerprint()
    assert first
    # the same seed in an empty database gives the same files
    TrainingRecord.objects.all().delete()
    CertificateEvent.objects.all().delete()
    Certificate.objects.all().delete()
    TrainingProfile.objects.all().delete()
    from redline.organisations.demo import Builder

    units = list(Enterprise.objects.filter(pk__gt=before).order_by("pk"))
    build_training(Builder(seed=3, scale="small", progress=lambda m: None), units)
    assert _fingerprint() == first


def test_every_unit_with_people_gets_files_in_bulk_with_their_change_log(monkeypatch):
    """No unit is left without files (a city's 5,000 units, not the first 120), written
    batch by batch with one change-log row per record, and the batches do not change what
    is written."""
    from redline.core.models import ChangeLog
    from redline.organisations.demo import Builder
    from redline.organisations.models import Person
    from redline.training import demo as training_demo

    before = Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    monkeypatch.setattr(training_demo, "BATCH_UNITS", 7)
    demo.build_city(seed=2, scale="small", progress=lambda m: None, steps=[build_training])
    units = list(Enterprise.objects.filter(pk__gt=before).order_by("pk"))
    people = Person.objects.filter(enterprise__in=units, is_archived=False).exclude(
        role="gov_contact"
    )
    assert len({p.enterprise_id for p in people}) > 7 * 3  # more units than a few batches
    assert set(TrainingProfile.objects.values_list("person_id", flat=True)) == {
        p.pk for p in people
    }
    assert not people.exclude(pk__in=TrainingRecord.objects.values("person_id")).exists()
    logged = ChangeLog.objects.filter(model__startswith="training.", action="create")
    written = (
        TrainingProfile.objects.count()
        + TrainingRecord.objects.count()
        + Certificate.objects.count()
    )
    assert logged.count() == written
    assert not logged.filter(enterprise_id__isnull=True).exists()
    first = _fingerprint()
    TrainingRecord.objects.all().delete()
    CertificateEvent.objects.all().delete()
    Certificate.objects.all().delete()
    TrainingProfile.objects.all().delete()
    monkeypatch.setattr(training_demo, "BATCH_UNITS", 1000)
    build_training(Builder(seed=2, scale="small", progress=lambda m: None), units)
    assert _fingerprint() == first
