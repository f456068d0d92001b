"""The test database's snapshot (`snapshot.py`) puts back exactly what it kept: the rows,
their keys, a table emptied since, and the next key each sequence hands out."""

from __future__ import annotations

import pytest

from redline.accounts.models import User
from redline.core.tests.snapshot import Snapshot
from redline.organisations.models import Region
from redline.organisations.vocab import RegionLevel


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_puts_back_the_rows_keys_and_sequences_it_kept():
    city = Region.objects.create(code="990000", name="临江市", level=RegionLevel.CITY)
    district = Region.objects.create(
        code="990100", name="江北区", level=RegionLevel.DISTRICT, parent=city
    )
    kept, district_pk = Snapshot.take(), district.pk
    district.delete()
    Region.objects.create(code="990200", name="滨海区", level=RegionLevel.DISTRICT, parent=city)
    User.objects.create(username="later")

    kept.restore()

    rows = list(Region.objects.order_by("pk").values_list("pk", "code", "parent_id"))
    assert rows == [(city.pk, "990000", None), (district_pk, "990100", city.pk)]
    assert not User.objects.exists()
    added = Region.objects.create(code="990300", name="城东区", level=RegionLevel.DISTRICT)
    assert added.pk > district_pk
