"""Drilling down from a department's score to exactly the records behind it, in the
access-test city (`organisations/tests/world.py`: the emergency bureau over hazardous
chemicals and industry city-wide, D1's fire brigade over fire in D1, the education bureau
over schools and kindergartens): the hazard ledger, the accident list and the training list
filter by a department's competence (`?department=`, the door's own filter for
`access.department_competence`, inside what the reader sees), each figure's link lists the
records it counts, a department the reader does not see is refused with a message, and the
measures of every department come from a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from redline.accidents import selectors as accident_selectors
from redline.accidents import services as accident_services
from redline.accidents.tests.build import record as accident
from redline.assessment import measures, selectors
from redline.assessment.tests.test_departments import draft, goes_overdue, open_hazard, user
from redline.campaigns.tests.data import hazard, unit
from redline.hazards import selectors as hazard_selectors
from redline.hazards.models import Hazard
from redline.hazards.vocab import HazardState
from redline.organisations.models import Organisation, Region, SectorMandate
from redline.organisations.vocab import OrganisationKind

pytestmark = pytest.mark.django_db

DEPARTMENTS = ("emergency", "fire_d1", "education")


@pytest.fixture
def records(world):
    """Hazards in and out of the departments' competence (two of them overdue), a
    particularly serious and a general accident at the emergency bureau's
    hazardous-chemicals unit, and a control indicator over hazardous chemicals city-wide."""
    goes_overdue(open_hazard("U-S11-hazchem", "hazchem"))
    open_hazard("U-S11-hazchem", "hazchem")
    open_hazard("U-S12-build", "construction")  # no department's
    goes_overdue(open_hazard("U-S21-fire", "fire"))  # fire in D2: not D1's brigade's
    open_hazard("U-S11-fire", "fire")  # D1's brigade's
    accident(world, deaths=30)  # particularly serious: the veto counts it with the serious
    accident(world, deaths=1)
    accident_services.indicator_set(
        actor=user(world, "office"),
        data=accident_services.IndicatorInput.of(
            {
                "year": timezone.localdate().year,
                "region": world.regions["C"],
                "sector": "hazchem",
                "max_accidents": 4,
                "max_deaths": 2,
            }
        ),
    )


def listed(client: Any, url: str) -> dict[str, int]:
    """What a list page shows: the hazards or accidents it lists (by their links), or the
    training list's totals."""
    page = client.get(url)
    assert page.status_code == 200, url
    text = page.content.decode()
    path = urlsplit(url).path
    if path == reverse("training-list"):
        found = {
            key: int(re.search(rf'id="total-{key}">(\d+)<', text).group(1))  # type: ignore[union-attr]
            for key in ("people", "compliant")
        }
        return found
    pattern = (
        r'href="/hazards/(\d+)/"' if path == reverse("hazard-list") else r'href="/accidents/(\d+)/"'
    )
    return {"rows": len(set(re.findall(pattern, text)))}


def figure(line: Any, veto: str = "") -> dict[str, Any]:
    """A breakdown line's measured figure (or, with `veto`, a measured subject's veto)."""
    found = line.get(f"accidents.{veto}") if veto else line.measure
    assert found is not None
    return dict(found)


def test_each_figure_of_a_department_links_to_exactly_the_records_it_counts(world, client, records):
    record = draft(world)
    for who, departments in (("office", DEPARTMENTS), ("d1", ("fire_d1",))):
        reader = user(world, who, "viewer")
        client.force_login(reader)
        for key in departments:
            pk = world.orgs[key].pk
            found = selectors.breakdown(user(world, who), record, pk)
            lines = {line.key: line for line in found.lines}
            closure, overdue = lines["hazard_closure"], lines["hazard_overdue"]
            assert f"department={pk}" in closure.records
            # no hazard is dismissed here: the closure's base is every hazard listed
            assert listed(client, closure.records)["rows"] == figure(closure)["den"]
            assert listed(client, overdue.records)["rows"] == figure(overdue)["num"]
            training = lines["training_compliance"]
            everyone = training.records.replace("&lacking=1", "")
            shown = listed(client, everyone)
            assert shown == {
                "people": figure(training)["den"],
                "compliant": figure(training)["num"],
            }
            assert figure(training)["den"] > 0
            serious = figure(measures.measure(user(world, "office"), record)[str(pk)], "serious")
            veto = next(url for _label, _held, _status, url in found.vetoes if url)
            assert listed(client, veto)["rows"] == serious["count"]
    emergency = selectors.breakdown(user(world, "office"), record, world.orgs["emergency"].pk)
    lines = {line.key: line for line in emergency.lines}
    client.force_login(user(world, "office"))
    assert lines["hazard_overdue"].measure == {"num": 1, "den": 2}
    assert listed(client, lines["accident_count"].records)["rows"] == 2
    assert figure(lines["accident_count"])["actual"] == 2
    serious_url = next(url for _label, held, _status, url in emergency.vetoes if held)
    assert listed(client, serious_url)["rows"] == 1


def test_a_districts_figures_link_to_exactly_their_records_too(world, client, records):
    record = draft(world, kind="district")
    client.force_login(user(world, "office", "viewer"))
    for district in ("D1", "D2"):
        pk = world.regions[district]
        found = selectors.breakdown(user(world, "office"), record, pk)
        lines = {line.key: line for line in found.lines}
        closure, overdue = lines["hazard_closure"], lines["hazard_overdue"]
        assert f"region={pk}" in closure.records
        assert listed(client, closure.records)["rows"] == figure(closure)["den"]
        assert listed(client, overdue.records)["rows"] == figure(overdue)["num"] == 1
        serious = figure(measures.measure(user(world, "office"), record)[str(pk)], "serious")
        veto = next(url for _label, _held, _status, url in found.vetoes if url)
        assert listed(client, veto)["rows"] == serious["count"]


def test_a_past_periods_links_keep_to_its_days(world, client, records):
    year = timezone.localdate().year - 1
    hazard(
        unit("U-S11-hazchem"),
        sector="hazchem",
        reported_at=dt.datetime(year, 6, 15, 9, tzinfo=timezone.get_current_timezone()),
        deadline=dt.date(year, 7, 15),
    )
    record = draft(world, year)
    client.force_login(user(world, "office", "viewer"))
    found = selectors.breakdown(user(world, "office"), record, world.orgs["emergency"].pk)
    lines = {line.key: line for line in found.lines}
    closure = lines["hazard_closure"]
    assert f"reported_from={year}-01-01" in closure.records
    assert f"reported_to={year}-12-31" in closure.records
    assert listed(client, closure.records)["rows"] == figure(closure)["den"] == 1
    training = lines["training_compliance"]
    assert f"on={year}-12-31" in training.records
    shown = listed(client, training.records.replace("lacking=1&", ""))
    assert shown == {"people": figure(training)["den"], "compliant": figure(training)["num"]}


def test_the_department_filter_never_widens_what_the_reader_sees(world, client, records):
    emergency = world.orgs["emergency"].pk
    # the emergency bureau's hazards as the office sees them: the two hazchem ones
    office = user(world, "office", "viewer")
    assert hazard_selectors.hazard_list(office, {"department": emergency}).count() == 2
    # S11's office sees them (its subdistrict); the education bureau none (schools only)
    client.force_login(user(world, "s11", "viewer"))
    assert listed(client, f"/hazards/?department={emergency}")["rows"] == 2
    assert listed(client, f"/accidents/?department={emergency}")["rows"] == 2
    client.force_login(user(world, "education", "viewer"))
    assert listed(client, f"/hazards/?department={emergency}")["rows"] == 0
    assert listed(client, f"/accidents/?department={emergency}")["rows"] == 0
    # the fire brigade's filter for the emergency bureau: only what both see (none)
    fire = user(world, "fire_d1", "viewer")
    assert hazard_selectors.hazard_list(fire, {"department": emergency}).count() == 0
    assert hazard_selectors.hazard_list(fire, {}).count() == 1


@pytest.mark.parametrize("listing", ["/hazards/", "/accidents/", "/training/"])
@pytest.mark.parametrize("value", ["999999", "abc", "cityhall"])
def test_an_unknown_or_wrong_department_is_refused_not_failed(world, client, listing, value):
    if value == "cityhall":  # a government, not a department
        value = str(world.orgs["cityhall"].pk)
    client.force_login(user(world, "office", "viewer"))
    assert client.get(f"{listing}?department={value}").status_code == 404


@pytest.mark.parametrize(
    "api", ["/api/v1/hazards", "/api/v1/accidents", "/api/v1/training/compliance"]
)
def test_the_api_names_the_department_it_refuses(world, client, api):
    client.force_login(user(world, "office", "viewer"))
    answer = client.get(f"{api}?department=999999")
    assert answer.status_code == 404
    assert set(answer.json()["error"]["fields"]) == {"department"}
    emergency = world.orgs["emergency"].pk
    assert client.get(f"{api}?department={emergency}").status_code == 200


def more_departments(world, n: int) -> None:
    city = Region.objects.get(pk=world.regions["C"])
    for i in range(n):
        made = Organisation.objects.create(
            name=f"加测部门{i}", kind=OrganisationKind.DEPARTMENT, region=city
        )
        SectorMandate.objects.create(department=made, region=city, sector="hazchem")
        SectorMandate.objects.create(department=made, region=city, unit_kind="school")


def test_the_departments_measures_take_the_same_queries_however_many_departments(world, records):
    record = draft(world)
    office = user(world, "office")

    def queries() -> int:
        fresh = user(world, "office")
        with CaptureQueriesContext(connection) as captured:
            measured = measures.measure(fresh, record)
        assert len(measured) == len(measures.departments(fresh))
        return len(captured.captured_queries)

    three = queries()
    more_departments(world, 5)
    assert len(measures.departments(office)) == 8
    assert queries() == three
    # a new one over hazardous chemicals (and schools) counts the bureau's hazchem hazards
    now = measures.measure(office, record)
    new = Organisation.objects.filter(name__startswith="加测部门").get(name="加测部门0")
    assert now[str(new.pk)]["hazards.closure"] == {"num": 0, "den": 2}
    assert (
        now[str(new.pk)]["hazards.closure"]
        == now[str(world.orgs["emergency"].pk)]["hazards.closure"]
    )


def test_a_departments_accident_figures_open_exactly_the_accidents_counted(world, client, records):
    """The accident figures count by the control indicators' sectors and regions, not by
    the whole competence: an accident in its competence under no indicator (industry) is
    neither counted nor listed by the figure's link."""
    accident(world, deaths=2, sector="industry")
    record = draft(world)
    pk = world.orgs["emergency"].pk
    found = selectors.breakdown(user(world, "office"), record, pk)
    lines = {line.key: line for line in found.lines}
    count, deaths = lines["accident_count"], lines["death_count"]
    assert "indicator=" in count.records and "department=" not in count.records
    client.force_login(user(world, "office", "viewer"))
    assert listed(client, count.records)["rows"] == figure(count)["actual"] == 2
    query = {k: v[0] for k, v in parse_qs(urlsplit(deaths.records).query).items()}
    shown = accident_selectors.accident_list(user(world, "office", "viewer"), query)
    assert sum(a.deaths for a in shown) == figure(deaths)["actual"] == 31
    # the whole competence of the period holds one more: the industry accident
    competence = f"/accidents/?department={pk}"
    assert listed(client, competence)["rows"] == 3
    # an indicator the reader does not see is refused, naming the filter
    client.force_login(user(world, "education", "viewer"))
    refused = client.get(count.records)
    assert refused.status_code == 422
    api = client.get(f"/api/v1/accidents?{urlsplit(count.records).query}")
    assert api.status_code == 422 and "indicator" in api.content.decode()


def test_the_closure_links_leave_out_the_dismissed_hazards(world, client, records):
    """The closure's base is every hazard but the dismissed ones: its link lists exactly
    those (`state=not_dismissed`), for a department and for a district."""
    gone = open_hazard("U-S11-hazchem", "hazchem")
    Hazard.objects.filter(pk=gone.pk).update(state=HazardState.DISMISSED)
    client.force_login(user(world, "office", "viewer"))
    for kind, pk in (("department", world.orgs["emergency"].pk), ("district", world.regions["D1"])):
        record = draft(world, kind=kind)
        found = selectors.breakdown(user(world, "office"), record, pk)
        closure = next(line for line in found.lines if line.key == "hazard_closure")
        assert "state=not_dismissed" in closure.records
        everything = closure.records.replace("state=not_dismissed", "")
        assert listed(client, closure.records)["rows"] == figure(closure)["den"]
        assert listed(client, everything)["rows"] == figure(closure)["den"] + 1
    ledger = client.get("/api/v1/hazards?state=not_dismissed")
    assert ledger.status_code == 200
    assert ledger.json()["count"] == client.get("/api/v1/hazards").json()["count"] - 1
    page = client.get("/hazards/").content.decode()
    assert 'value="not_dismissed"' in page
