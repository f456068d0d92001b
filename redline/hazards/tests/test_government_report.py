"""A government inspector reports a hazard for a unit they choose (among the units of their
jurisdiction only), and `/tasks/` serves the government side: the units' self-inspection,
read-only, and the way to report what an inspection found."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from redline.conftest import login
from redline.hazards.models import Hazard, InspectionTask
from redline.hazards.tests.factories import measure_with_cycle
from redline.hazards.vocab import HazardSource
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form_data(page, enterprise: int, name: str) -> dict[str, object]:
    return {
        "idempotency_key": page.context["form"].initial["idempotency_key"],
        "enterprise": enterprise,
        "name": name,
        "description": "Fire exit blocked by pallets.",
        "hazard_type": "fire",
        "level": "general",
        "source": HazardSource.GOVERNMENT,
    }


def test_a_government_inspector_chooses_a_unit_of_their_jurisdiction_and_reports(client, world):
    login(client, "s11-inspector")
    # The ledger's button leads to choosing the unit, not to the unit list.
    start = client.get(reverse("hazard-report"))
    assert start.status_code == 302 and start.url == reverse("hazard-report-unit")
    picker = client.get(reverse("hazard-report-unit"), {"q": "U-S"})
    assert picker.status_code == 200
    offered = {u.name for u in picker.context["units"]}
    assert offered == {u.name for u in world.units if u.sub == "S11"}
    unit = Enterprise.objects.get(name="U-S11-fire")
    assert f"{reverse('hazard-report')}?enterprise={unit.pk}" in picker.content.decode()
    # The search also answers htmx with the results alone.
    partial = client.get(
        reverse("hazard-report-unit"), {"q": "fire"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert {u.name for u in partial.context["units"]} == {"U-S11-fire"}

    form = client.get(reverse("hazard-report"), {"enterprise": unit.pk})
    assert form.status_code == 200
    assert [c for c, _label in form.context["form"].fields["source"].choices] == ["government"]
    sent = client.post(
        f"{reverse('hazard-report')}?enterprise={unit.pk}",
        form_data(form, unit.pk, "Blocked exit (inspection)"),
    )
    assert sent.status_code == 302
    hazard = Hazard.objects.get(name="Blocked exit (inspection)")
    assert hazard.enterprise_id == unit.pk
    assert hazard.source == HazardSource.GOVERNMENT


def test_a_unit_outside_the_jurisdiction_is_refused_and_nothing_is_created(client, world):
    login(client, "s11-inspector")
    inside = Enterprise.objects.get(name="U-S11-fire")
    outside = Enterprise.objects.get(name="U-S21-fire")
    picker = client.get(reverse("hazard-report-unit"), {"q": "U-S21"})
    assert list(picker.context["units"]) == []
    assert client.get(reverse("hazard-report"), {"enterprise": outside.pk}).status_code == 404
    page = client.get(reverse("hazard-report"), {"enterprise": inside.pk})
    before = Hazard.objects.count()
    refused = client.post(reverse("hazard-report"), form_data(page, outside.pk, "Not mine"))
    assert refused.status_code == 404
    # The form of a unit inside, sent with a unit outside: not one of the form's choices.
    swapped = client.post(
        f"{reverse('hazard-report')}?enterprise={inside.pk}",
        form_data(page, outside.pk, "Not mine"),
    )
    assert swapped.status_code == 422
    assert Hazard.objects.count() == before
    assert not Hazard.objects.filter(name="Not mine").exists()


def test_only_inspectors_of_the_government_side_choose_a_unit(client, world):
    login(client, "s11-viewer")
    assert client.get(reverse("hazard-report-unit")).status_code == 403
    assert client.get(reverse("hazard-report")).status_code == 403
    assert not client.get(reverse("hazard-list")).context["can_report"]
    login(client, "ent-operator")
    assert client.get(reverse("hazard-report-unit")).status_code == 302  # to its own form


def test_tasks_for_a_government_inspector(client, world):
    unit = Enterprise.objects.get(name="U-S11-build")
    other = Enterprise.objects.get(name="U-S21-build")
    now = timezone.now()
    for enterprise, name in ((unit, "in"), (other, "out")):
        measure, _cycle = measure_with_cycle(enterprise, name=name)
        InspectionTask.objects.create(
            measure=measure,
            enterprise=enterprise,
            due_at=now - dt.timedelta(days=2),
            window_ends_at=now - dt.timedelta(days=1),
        )
    login(client, "s11-inspector")
    page = client.get(reverse("my-tasks"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="tasks-explained"' in body
    assert reverse("hazard-report-unit") in body
    assert [t.enterprise_id for t in page.context["missed"]] == [unit.pk]
    assert reverse("enterprise-tasks", args=[unit.pk]) in body
    found = client.get(reverse("my-tasks"), {"q": "build"}, headers={"HX-Request": "true"})
    assert found.status_code == 200
    assert {u.pk for u in found.context["units"]} == {unit.pk}
    # A viewer follows the same record, without the report button.
    login(client, "d1-viewer")
    page = client.get(reverse("my-tasks"))
    assert page.status_code == 200
    assert reverse("hazard-report-unit") not in page.content.decode()
