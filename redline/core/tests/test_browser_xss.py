"""Stored markup is shown as text: a district, a unit and a hazard whose names and
descriptions carry markup (as a careless or hostile user could enter) appear as those
characters on the lists, the detail page and in the map's tooltip, and no element of theirs
enters the page (escaped by the templates and by the charts' own formatters; the
Content-Security-Policy would also refuse an inline handler)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from redline.core.tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser

MARKUP = '<img src="xss.png" onerror="window.__xss=1"><b>x</b>'


def injected(page: Page) -> int:
    return page.evaluate(
        "document.querySelectorAll('img[src=\"xss.png\"], b:not([class])').length"
        " + (window.__xss ? 1000 : 0)"
    )


def test_stored_markup_is_shown_as_text(page: Page, live_server, city) -> None:
    from redline.hazards.models import Hazard
    from redline.organisations.models import Enterprise, Region

    district = Region.objects.filter(level="district").order_by("code").first()
    Region.objects.filter(pk=district.pk).update(name=f"{district.name}{MARKUP}")
    unit = Enterprise.objects.filter(region__path__startswith=district.path).first()
    Enterprise.objects.filter(pk=unit.pk).update(name=f"单位{MARKUP}")
    hazard = Hazard.objects.order_by("pk").first()
    Hazard.objects.filter(pk=hazard.pk).update(description=f"描述{MARKUP}")

    base = live_server.url
    sign_in(page, base, "city-viewer")
    page.goto(f"{base}/enterprises/?q=单位")
    expect(page.get_by_text(f"单位{MARKUP}").first).to_be_visible()
    assert injected(page) == 0
    page.goto(f"{base}/hazards/{hazard.pk}/")
    expect(page.get_by_text(f"描述{MARKUP}").first).to_be_visible()
    assert injected(page) == 0

    # The risk map's tooltip names the district: hover until it shows.
    page.goto(f"{base}/risk-map/")
    chart = page.locator("#risk-map")
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.bounding_box()
    assert box is not None
    tooltip = chart.locator("div", has_text=district.name).filter(has_not=page.locator("canvas"))
    shown = False
    for i in range(1, 12):
        for j in range(1, 12):
            page.mouse.move(box["x"] + box["width"] * i / 12, box["y"] + box["height"] * j / 12)
            if tooltip.count() and tooltip.last.is_visible():
                shown = True
                break
        if shown:
            break
    assert shown, "the tooltip of the district with markup never showed"
    screenshot(page, "xss_risk_map_tooltip", full_page=False)
    assert MARKUP in tooltip.last.inner_text()
    assert injected(page) == 0
