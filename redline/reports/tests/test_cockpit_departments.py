"""The city cockpit shows, beside the districts' ranking, the first and the last of the city
departments' ranking of the latest published department assessment (the city's departments
ranked among themselves, not with the districts'), each row opening its record: the
department's breakdown where the reader may open it, else its row in the ranking."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.test import Client

from redline.accounts.models import User
from redline.assessment import selectors
from redline.assessment.models import Assessment
from redline.reports.selectors_work import DEPARTMENTS_SHOWN


def test_the_cockpit_ranks_the_city_departments_with_links_to_their_records(city):
    published = Assessment.objects.filter(state="published", subject_kind="department").latest(
        "year"
    )
    for username in ("city-manager", "district-viewer"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        response = client.get("/cockpit/")
        assert response.status_code == 200
        text = response.content.decode()
        assert 'data-key="assessment.departments"' in text.split('id="panel-assessment"')[1]
        section = response.context["figures"].section("assessment")
        table = next(t for t in section.tables if t.key == "assessment.departments")
        ranking = selectors.ranking(user, published.year, "department")
        city_rows = [r for r in ranking if r["city"] and r["assessable"]]
        assert city_rows and len(city_rows) < len(ranking)  # the districts' apart
        n = DEPARTMENTS_SHOWN
        expected = city_rows if len(city_rows) <= 2 * n else city_rows[:n] + city_rows[-n:]
        assert [row[0] for row in table.rows] == [r["subject"] for r in expected]
        ranks = [row[1] for row in table.rows]
        assert ranks[0] == 1 and ranks == sorted(ranks)
        assert len(table.links) == len(table.rows)
        for name, link in zip((row[0] for row in table.rows), table.links, strict=True):
            assert f'href="{link}"' in text
            opened = client.get(link)
            assert opened.status_code == 200, link
            body = opened.content.decode()
            assert name in body
            fragment = urlsplit(link).fragment
            if fragment:  # its row in the ranking, for a reader who may not open it
                assert f'id="{fragment}"' in body
