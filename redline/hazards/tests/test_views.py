"""Hazard pages: what each reader sees and can do, through the web."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from redline.conftest import login
from redline.hazards.models import Hazard
from redline.hazards.tests.factories import JPEG, measure_with_cycle, report, user
from redline.hazards.vocab import HazardState

pytestmark = pytest.mark.django_db


def future(days=10):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_report_through_the_form_and_follow_the_steps(client, world):
    ent = world.orgs["ent"].arg
    login(client, "ent-operator")
    page = client.get(reverse("hazard-report"))
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    data = {
        "idempotency_key": key,
        "enterprise": ent,
        "name": "Gas detector offline",
        "description": "Detector GD-4 shows no reading.",
        "hazard_type": "instrument",
        "level": "general",
        "source": "daily",
        "photos": [SimpleUploadedFile("gd4.jpg", JPEG, content_type="image/jpeg")],
    }
    response = client.post(reverse("hazard-report"), data)
    assert response.status_code == 302
    hazard = Hazard.objects.get(name="Gas detector offline")
    # The same form sent again (a double tap, a retry) does not make a second hazard.
    data["photos"] = [SimpleUploadedFile("gd4.jpg", JPEG, content_type="image/jpeg")]
    again = client.post(reverse("hazard-report"), data)
    assert again.status_code == 302 and again.url == response.url
    assert Hazard.objects.filter(name="Gas detector offline").count() == 1

    detail = client.get(response.url)
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Gas detector offline" in body and 'id="timeline"' in body
    photo = hazard.photos.get()
    assert client.get(reverse("evidence-photo", args=[photo.token])).status_code == 200

    step = reverse("hazard-step", args=[hazard.pk, "assign"])
    missing = client.post(step, {"assign-version": 1})
    assert missing.status_code == 422
    assert "deadline" in missing.content.decode() or "期限" in missing.content.decode()
    done = client.post(step, {"assign-version": 1, "assign-deadline": future()})
    assert done.status_code == 302
    hazard.refresh_from_db()
    assert hazard.state == HazardState.RECTIFYING
    stale = client.post(step, {"assign-version": 1, "assign-deadline": future()})
    assert stale.status_code == 409


def test_outsiders_get_404_for_pages_and_photos(client, world):
    hazard = report(user("ent-operator"), world.orgs["ent"].arg)
    from redline.hazards import evidence

    uploads = evidence.check_uploads(
        [{"name": "a.jpg", "content_base64": __import__("base64").b64encode(JPEG).decode()}]
    )
    photo = evidence.store(uploads, actor=None, hazard=hazard)[0]
    login(client, "ent2-admin")
    assert client.get(reverse("hazard-detail", args=[hazard.pk])).status_code == 404
    assert client.get(reverse("evidence-photo", args=[photo.token])).status_code == 404
    assert (
        client.post(
            reverse("hazard-step", args=[hazard.pk, "comment"]),
            {"comment-version": 1, "comment-comment": "x"},
        ).status_code
        == 404
    )
    ledger = client.get(reverse("hazard-list"))
    assert hazard.name not in ledger.content.decode()
    login(client, "d1-viewer")
    assert client.get(reverse("hazard-detail", args=[hazard.pk])).status_code == 200


def test_rectifier_accepting_is_refused_on_the_page(client, world):
    hazard = report(user("ent-manager"), world.orgs["ent"].arg, level="major")
    from redline.hazards.services import hazard_transition

    hazard_transition(
        actor=user("ent-manager"),
        hazard_id=hazard.pk,
        action="plan",
        version=1,
        data={
            "plan_responsible": "Li",
            "plan_measures": "Fix",
            "plan_funds": "1",
            "plan_deadline": future(),
            "plan_contingency": "Plan B",
        },
    )
    hazard_transition(
        actor=user("ent-manager"),
        hazard_id=hazard.pk,
        action="submit",
        version=2,
        data={"comment": "done"},
        photos=[SimpleUploadedFile("a.jpg", JPEG)],
    )
    login(client, "ent-manager")
    response = client.post(
        reverse("hazard-step", args=[hazard.pk, "accept"]),
        {"accept-version": 3, "accept-comment": "ok"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert 'id="step-error"' in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.state == HazardState.AWAITING_ACCEPTANCE


def test_ledger_filters_and_export(client, world):
    ent = world.orgs["ent"].arg
    general = report(user("ent-operator"), ent, name="Loose guard rail")
    major = report(user("ent-operator"), ent, name="Firewall missing", level="major")
    login(client, "emergency-viewer")
    rows = client.get(reverse("hazard-list"), {"level": "major"}).content.decode()
    assert "Firewall missing" in rows and "Loose guard rail" not in rows
    rows = client.get(reverse("hazard-list"), {"q": general.number}).content.decode()
    assert "Loose guard rail" in rows and "Firewall missing" not in rows
    htmx = client.get(reverse("hazard-list"), {"state": "open"}, HTTP_HX_REQUEST="true")
    assert "<html" not in htmx.content.decode()
    export = client.get(reverse("hazard-export"), {"level": "major"})
    assert export.status_code == 200
    import io

    sheet = load_workbook(io.BytesIO(export.content)).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 2 and values[1][0] == major.number


def test_dashboard_counts(client, world):
    ent = world.orgs["ent"].arg
    report(user("ent-operator"), ent)
    report(user("ent-operator"), ent, level="major")
    login(client, "cityhall-viewer")
    page = client.get(reverse("hazard-dashboard"))
    assert page.status_code == 200
    totals = page.context["data"]["totals"]
    assert totals["open_general"] >= 1 and totals["open_major"] >= 1
    d1 = next(r for r in page.context["data"]["regions"] if r.region.name_en == "D1")
    assert d1.open_major >= 1


def test_public_report_flow(client, world, settings):
    import time

    import time_machine

    from redline.hazards.forms import PublicReportForm

    page = client.get(reverse("public-report"))
    assert page.status_code == 200
    stamp = page.context["form"].initial["stamp"]
    data = {
        "region": world.regions["S11"],
        "place": "Night market, lane 3",
        "sector": "gas",
        "description": "Gas cylinders stored next to a grill.",
        "stamp": stamp,
        "website": "",
    }
    too_fast = client.post(reverse("public-report"), data)
    assert too_fast.status_code == 422
    with time_machine.travel(time.time() + 10):
        bot = client.post(reverse("public-report"), data | {"website": "http://spam"})
        assert bot.status_code == 422
        done = client.post(reverse("public-report"), data)
    assert done.status_code == 200
    hazard = Hazard.objects.get(location="Night market, lane 3")
    assert hazard.tracking_code and hazard.tracking_code in done.content.decode()
    assert hazard.enterprise is None and hazard.source == "public"
    track = client.get(reverse("public-track"), {"code": hazard.tracking_code.lower()})
    assert 'id="track-result"' in track.content.decode()
    assert "Gas cylinders" not in track.content.decode()  # only the state, not the details
    # The territorial government sees it; the unit registry's enterprises do not.
    assert Hazard.objects.restrict(user("s11-viewer")).filter(pk=hazard.pk).exists()
    assert not Hazard.objects.restrict(user("ent-admin")).filter(pk=hazard.pk).exists()
    assert not Hazard.objects.restrict(user("fire_d1-admin")).filter(pk=hazard.pk).exists()
    assert PublicReportForm  # imported for the stamp salt


def test_public_reports_are_limited_per_address(client, world, settings):
    from redline.core.errors import ValidationFailed
    from redline.hazards.public import PublicReportInput, hazard_report_public

    settings.REDLINE_PUBLIC_REPORT_LIMIT = 2
    data = {"region": world.regions["S11"], "place": "P", "description": "D"}
    hazard_report_public(data=PublicReportInput.of(data), ip="203.0.113.9")
    hazard_report_public(data=PublicReportInput.of(data), ip="203.0.113.9")
    with pytest.raises(ValidationFailed):
        hazard_report_public(data=PublicReportInput.of(data), ip="203.0.113.9")
    hazard_report_public(data=PublicReportInput.of(data), ip="203.0.113.10")
    assert Hazard.objects.filter(location="P").count() == 3


def test_tasks_pages(client, world):
    from redline.hazards.inspection import task_generate
    from redline.organisations.models import Enterprise

    ent = Enterprise.objects.get(pk=world.orgs["ent"].arg)
    measure, _cycle = measure_with_cycle(
        ent, name="page", starts_at=timezone.now() - dt.timedelta(days=3, hours=1)
    )
    task_generate(
        start=timezone.now() - dt.timedelta(days=4), end=timezone.now() + dt.timedelta(days=2)
    )
    login(client, "ent-operator")
    page = client.get(reverse("my-tasks"))
    assert page.status_code == 200
    due = page.context["due"]
    assert len(due) == 1 and len(page.context["missed"]) == 3
    form = client.get(reverse("task-record", args=[due[0].pk]))
    key = form.context["form"].initial["idempotency_key"]
    found = client.post(
        reverse("task-record", args=[due[0].pk]),
        {"result": "hazard", "note": "", "idempotency_key": key},
    )
    assert found.status_code == 302 and f"task={due[0].pk}" in found.url
    prefilled = client.get(found.url)
    assert prefilled.context["form"].initial["measure"] == measure.pk
    stats = client.get(reverse("enterprise-tasks", args=[ent.pk]))
    assert stats.context["counts"]["missed"] == 3 and stats.context["counts"]["result_hazard"] == 1
    login(client, "ent2-admin")
    assert client.get(reverse("task-record", args=[due[0].pk])).status_code == 404
    assert client.get(reverse("enterprise-tasks", args=[ent.pk])).status_code == 404


def test_notifications_page(client, world):
    report(user("ent-operator"), world.orgs["ent"].arg, level="major")
    login(client, "emergency-viewer")
    home = client.get(reverse("hazard-list"))
    assert 'id="unread-count"' in home.content.decode()
    page = client.get(reverse("notifications"))
    note = page.context["page"].object_list[0]
    opened = client.get(reverse("notification-open", args=[note.pk]))
    assert opened.status_code == 302 and opened.url.startswith("/hazards/")
    login(client, "ent2-admin")
    assert client.get(reverse("notification-open", args=[note.pk])).status_code == 404


def test_ledger_filtered_to_a_campaign(client, world):
    from redline.campaigns.models import Campaign

    today = timezone.localdate()
    campaign = Campaign(
        name="危化品专项整治",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=30),
        standards=["hazchem-2017"],
    )
    campaign.sector_list = ["hazchem"]
    campaign.save()
    inside = report(user("ent-operator"), world.orgs["ent"].arg, name="Inside the campaign")
    outside = report(user("ent2-operator"), world.orgs["ent2"].arg, name="Fire unit hazard")
    login(client, "cityhall-viewer")
    page = client.get(reverse("hazard-list"), {"campaign": campaign.pk})
    body = page.content.decode()
    assert inside.name in body and outside.name not in body
    assert page.context["campaign"] == campaign
    # An unknown campaign shows nothing rather than everything.
    none = client.get(reverse("hazard-list"), {"campaign": 999999}).content.decode()
    assert inside.name not in none


def test_fire_composite_is_computed_and_shown_on_the_hazard(client, world):
    """Three counted elements of a crowded place meet the confirmed rule (>= 3): major, and
    the page shows what was counted against which threshold."""
    elements = ["7.3.1", "7.3.2", "7.5"]
    hazard = report(
        user("ent2-operator"),
        world.orgs["ent2"].arg,
        name="Mall exits",
        hazard_type="fire",
        level="general",
        fire_place_type="crowded",
        fire_elements=elements,
    )
    assert hazard.level == "major"  # computed, not ticked
    assert hazard.fire_elements == sorted(elements)
    composite = hazard.events.get(action="report").data["fire_composite"]
    crowded = next(r for r in composite["rules"] if r["rule"] == "crowded-3")
    assert crowded == {
        "rule": "crowded-3",
        "counted": sorted(elements),
        "threshold": 3,
        "matched": True,
    }
    login(client, "ent2-viewer")
    page = client.get(reverse("hazard-detail", args=[hazard.pk]))
    table = page.content.decode().split('class="table composite"')[1].split("</table>")[0]
    assert "crowded-3" in table and "7.3.1, 7.3.2, 7.5" in table and "3 / ≥ 3" in table
    # Two elements only: not major by the composite method.
    below = report(
        user("ent2-operator"),
        world.orgs["ent2"].arg,
        name="Mall exits, fewer",
        hazard_type="fire",
        level="general",
        fire_place_type="crowded",
        fire_elements=["7.3.1", "7.3.2"],
    )
    assert below.level == "general"


def test_a_public_report_is_assigned_to_a_unit_from_its_page(client, world):
    from redline.hazards.public import PublicReportInput, hazard_report_public

    hazard = hazard_report_public(
        data=PublicReportInput.of(
            {"region": world.regions["S11"], "place": "Warehouse lane", "description": "Smoke"}
        )
    )
    login(client, "s11-inspector")
    page = client.get(reverse("hazard-detail", args=[hazard.pk]))
    assign = next(form for step, form, _ in page.context["steps"] if step.name == "assign_unit")
    choices = dict(assign.fields["enterprise"].choices)
    assert world.orgs["ent"].arg in choices
    done = client.post(
        reverse("hazard-step", args=[hazard.pk, "assign_unit"]),
        {"assign_unit-version": 1, "assign_unit-enterprise": world.orgs["ent"].arg},
    )
    assert done.status_code == 302
    assert Hazard.objects.restrict(user("ent-viewer")).filter(pk=hazard.pk).exists()
    assert client.get(reverse("hazard-report"), {"enterprise": "not-a-number"}).status_code == 302
