"""Every figure of the city cockpit opens exactly the records it counts: for the city's user
and for a district's user, each count shown equals the rows its link lists (the list page
read through its context, page after page where it does not count), and each rate or sum
opens the page it is computed from. The figures are read from the rendered page (their
`data-key` and `href`), so a link the template stops drawing fails too."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from django.test import Client
from django.urls import resolve

from redline.accounts.models import User
from redline.reports.figures import Figures

FIGURE = re.compile(r'<a class="card figure" href="([^"]*)" data-key="([^"]+)">')

# Figures that are a rate, a sum or the inventory's colours, not a count of listed rows;
# what their link opens is checked by its own rule below.
MEASURES = {
    "hazards.closure_rate",
    "accidents.deaths",
    "accidents.change",
    "accidents.deaths_change",
    "accidents.last_year.deaths",
}


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _listed(client: Client, href: str) -> int:
    """The number of rows the list page at `href` lists: its paginator's count, or the rows
    of every page where the page does not count (the ledgers: one row more than a page)."""
    first = client.get(href)
    assert first.status_code == 200, href
    page = first.context.get("page")
    if page is not None and hasattr(page, "paginator"):
        return int(page.paginator.count)
    assert "has_next" in first.context, f"{href} lists no rows"
    total, number, response = 0, 1, first
    while True:
        total += len(response.context["rows"])
        if not response.context["has_next"]:
            return total
        number += 1
        joiner = "&" if "?" in href else "?"
        response = client.get(f"{href}{joiner}page={number}")


def _cards(client: Client) -> tuple[dict[str, str], Figures]:
    """The cockpit's figure cards as drawn (key -> href) and the figures' values."""
    response = client.get("/cockpit/")
    assert response.status_code == 200
    drawn = {key: html.unescape(href) for href, key in FIGURE.findall(response.content.decode())}
    return drawn, response.context["figures"]


def _check(client: Client, username: str) -> set[str]:
    drawn, figures = _cards(client)
    values = figures.values()
    assert drawn, "the cockpit draws no figure"
    checked: set[str] = set()
    for key, href in drawn.items():
        name = resolve(urlsplit(href).path).url_name
        value = values[key]
        if key.startswith("risk."):
            rows = client.get(href).context["rows"]
            level = {"red": 1, "orange": 2, "yellow": 3, "blue": 4}[key.split(".")[1]]
            # The risk map's rows are the regions one level below the user's view.
            assert value == sum(s.counts[level] for _r, s in rows), (username, key)
        elif key.startswith("accidents.indicators."):
            rows = client.get(href).context["rows"]
            flagged = [(p.accident_flag, p.death_flag) for p in rows]
            if key.endswith(".exceeded"):
                assert value == sum(1 for f in flagged if "exceeded" in f), (username, key)
            else:
                on_pace = [f for f in flagged if "exceeded" not in f and "on_pace" in f]
                assert value == len(on_pace), (username, key)
        elif key == "hazards.closure_rate":
            data = client.get(href).context["data"]
            assert value == data["totals"]["closure_rate"], key
        elif key in MEASURES:
            assert client.get(href).status_code == 200, key
        else:
            assert value == _listed(client, href), (username, key, href, name)
        checked.add(key)
    # The tables' rows (campaigns, hazards by region) open their records too.
    for section in figures.sections:
        for table in section.tables:
            for row, link in zip(table.rows, table.links, strict=False):
                response = client.get(link)
                assert response.status_code == 200, (username, table.key, link)
                if table.key == "hazards.by_region":
                    assert row[3] == _listed(client, link), (username, table.key, link)
                if table.key == "campaigns.progress":
                    totals = response.context["progress"].totals
                    assert row[1:7] == [
                        totals.units,
                        totals.inspected,
                        totals.inspected_share,
                        totals.found,
                        totals.closed,
                        totals.overdue,
                    ], (username, link)
                if table.key == "committee.departments":
                    query = parse_qs(urlsplit(link).query)
                    assert query["state"] == ["open"]
                    assert row[1] == _listed(client, link), (username, link)
    return checked


def test_every_cockpit_figure_opens_the_records_it_counts(city):
    """The city's user and a district's user: the count on each card is the number of rows
    its link lists."""
    city_keys = _check(_client("city-manager"), "city-manager")
    for key in (
        "hazards.found",
        "hazards.closed_in_period",
        "hazards.overdue",
        "accidents.total",
        "committee.open",
        "committee.overdue",
        "epidemic.signals",
        "medical.alerts",
    ):
        assert key in city_keys, key
    district_keys = _check(_client("district-viewer"), "district-viewer")
    assert "hazards.found" in district_keys


def test_the_report_links_of_inspections_campaigns_and_committee_list_what_they_count(city):
    """The situation report's figures (the cockpit's, for any period and region) of the
    inspections planned and completed, the campaigns running and the key tasks by state:
    each count equals the rows its link lists, for the city and for a district."""
    from django.utils import timezone

    from redline.reports.figures import Period, compute

    today = timezone.localdate()
    # This year's quarter (a period other than the cockpit's year) and the year before.
    periods = [Period.current("quarter", today), Period.parse(str(today.year - 1))]
    planned = 0
    for period, username in [(p, u) for p in periods for u in ("city-manager", "district-viewer")]:
        user = User.objects.get(username=username)
        client = _client(username)
        figures = compute(user, period)
        shown = {f.key: f for s in figures.sections for f in s.figures}
        for key in (
            "inspections.planned",
            "inspections.completed",
            "campaigns.running",
            "committee.total",
            "committee.open",
            "committee.overdue",
            "committee.awaiting_verification",
            "hazards.found",
            "hazards.closed_in_period",
            "epidemic.signals",
            "medical.alerts",
        ):
            figure = shown[key]
            if key == "campaigns.running":
                listed = client.get(figure.link).context["rows"]
                assert figure.value == len(listed), (username, key)
            else:
                assert figure.value == _listed(client, figure.link), (username, key, figure.link)
        planned += int(shown["inspections.planned"].value or 0)
    assert planned > 0
