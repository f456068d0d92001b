"""The city cockpit renders in a fixed, small number of queries for the city's user and for a
district's user on the demo city: every figure is counted in the database, grouped, once
per request, so a loop over campaigns, indicators, tasks or people fails here. It computes
only the sections it shows (the situation report's training compliance is not among them),
and a refresh of its live panels only those panels' sections."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from redline.accounts.models import User
from redline.reports.views import COCKPIT_SECTIONS, LIVE_SECTIONS, LIVE_TARGET

# One render: the session and the user's scope, the figures of the seven sections (each a
# few grouped counts), the risk map and the page's navigation; measured 47 on the small demo
# for both users (119 and 113 before the cockpit computed only its sections, each once; 45
# before the city departments' ranking: its assessment, this year's then last year's, two
# queries however many departments).
MAX_QUERIES = 48


@pytest.mark.parametrize("username", ["city-manager", "district-viewer"])
def test_one_cockpit_render_takes_a_fixed_small_number_of_queries(
    city, username, django_assert_max_num_queries
):
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get("/cockpit/")  # the first render fills the per-process caches (vocabularies)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/cockpit/")
    assert response.status_code == 200
    shown = [s.key for s in response.context["figures"].sections]
    assert shown == list(COCKPIT_SECTIONS)
    assert "training" not in shown


# A refresh of the live panels (htmx, every `REFRESH_SECONDS`): their five sections only, no
# risk map or ranking; measured 36 on the small demo for both users (46 for the whole page).
LIVE_MAX_QUERIES = 37
REFRESHED = re.compile(r'(id="refreshed">[^<]*?)\d\d:\d\d')


@pytest.mark.parametrize("username", ["city-manager", "district-viewer"])
def test_a_refresh_computes_and_draws_only_the_live_panels(
    city, username, django_assert_max_num_queries
):
    client = Client()
    client.force_login(User.objects.get(username=username))
    page = client.get("/cockpit/")
    with django_assert_max_num_queries(LIVE_MAX_QUERIES):
        live = client.get("/cockpit/", headers={"HX-Request": "true", "HX-Target": LIVE_TARGET})
    assert live.status_code == 200
    assert [s.key for s in live.context["figures"].sections] == list(LIVE_SECTIONS)
    fragment = live.content.decode().strip()
    assert fragment.startswith(f'<div id="{LIVE_TARGET}"')
    assert 'id="risk-map"' not in fragment and 'id="panel-assessment"' not in fragment
    # The panels as the page draws them (but for the minute of the refresh).
    assert REFRESHED.sub(r"\1", fragment) in REFRESHED.sub(r"\1", page.content.decode())
    assert {"HX-Request", "HX-Target"} <= {h.strip() for h in live["Vary"].split(",")}
    assert {"HX-Request", "HX-Target"} <= {h.strip() for h in page["Vary"].split(",")}
