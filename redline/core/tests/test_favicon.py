"""The site's icon: every page links it, and /favicon.ico (asked for by browsers that ignore
the link) leads to it, served by the static files machinery."""

from __future__ import annotations

import pytest
from django.templatetags.static import static

from redline.conftest import login

ICON = static("redline/favicon.svg")


def test_favicon_ico_leads_to_the_icon(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 302 and answer["Location"] == ICON
    icon = client.get(ICON)
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


@pytest.mark.django_db
def test_the_base_template_links_the_icon(client, world):
    login_page = client.get("/accounts/login/").content.decode()
    login(client, "cityhall-viewer")
    home = client.get("/").content.decode()
    for html in (login_page, home):
        assert f'<link rel="icon" href="{ICON}" type="image/svg+xml">' in html
