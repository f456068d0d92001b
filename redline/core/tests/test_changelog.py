"""The change log as people read it on a record's page: labels and values in the reader's
language, names instead of ids, local times, internal fields hidden, a page at a time,
a bounded number of queries, behind the record's own jurisdiction door. The API keeps the
machine values."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.text import capfirst

from redline.accounts.models import User
from redline.conftest import login
from redline.core.models import ChangeLog
from redline.hazards.models import Hazard
from redline.organisations import services
from redline.organisations.models import Enterprise
from redline.organisations.vocab import Sector, UnitKind

pytestmark = pytest.mark.django_db

UTC = dt.UTC
EDITED_AT = dt.datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
FIXED_AT = dt.datetime(2026, 3, 2, 1, 5, tzinfo=UTC)
RECTIFIED_AT = dt.datetime(2026, 3, 1, 23, 45, tzinfo=UTC)
HAZARD_REPR = "YH-TEST-0001 消防通道堵塞"


def local(moment: dt.datetime) -> str:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M")


def label(model, name: str, lang: str) -> str:
    with translation.override(lang):
        return capfirst(str(model._meta.get_field(name).verbose_name))


def choice(choices, code: str, lang: str) -> str:
    with translation.override(lang):
        return str(dict(choices.choices)[code])


def hazard_entry(unit: Enterprise, rectifier: User, **extra) -> ChangeLog:
    """A hazard's step as the workflow logs it: the rectifier by id (no recorded label, as
    older and bulk-written entries have it), a date, a datetime, internal fields."""
    before = {
        "state": "reported",
        "rectifier": None,
        "deadline": None,
        "rectified_at": None,
        "listed": False,
        "reporter_ip_hash": "ipHASHbefore",
        "idempotency_key": "KEYbefore",
        "unit_sectors": ",fire,",
        "unit_kind": "enterprise",
        "determination_items": [],
        "version": 1,
        "updated_at": "2026-03-01T00:00:00+00:00",
    }
    after = {
        **before,
        "state": "awaiting",
        "rectifier": rectifier.pk,
        "deadline": "2026-03-10",
        "rectified_at": RECTIFIED_AT.isoformat(),
        "listed": True,
        "reporter_ip_hash": "ipHASHafter",
        "idempotency_key": "KEYafter",
        "unit_sectors": ",hazchem,fire,",
        "unit_kind": "school",
        "determination_items": ["fire-1", "fire-2"],
        "version": 2,
        "updated_at": "2026-03-02T01:05:00+00:00",
    }
    fields = {
        "actor": rectifier,
        "actor_name": rectifier.get_full_name(),
        "client": "web",
        "action": "state",
        "model": "hazards.Hazard",
        "object_id": "990001",
        "object_repr": HAZARD_REPR,
        "enterprise_id": unit.pk,
        "before": before,
        "after": after,
        "comment": "fix_on_spot: 已清理通道",
        **extra,
    }
    return ChangeLog.objects.create(**fields)


@pytest.fixture
def scene(world):
    """A unit edited through the service (sectors, kind, headcount), then one of its
    hazards rectified on the spot by a named person."""
    unit = Enterprise.objects.get(name="U-S12-mixed")
    operator = User.objects.get(username="cityhall-operator")
    rectifier = User.objects.create(username="rectifier-zhang", first_name="张整改")
    with time_machine.travel(EDITED_AT, tick=False):
        services.enterprise_update(
            actor=operator,
            enterprise_id=unit.pk,
            version=unit.version,
            data=services.EnterpriseInput(
                sector_list=("hazchem", "fire"), kind="school", headcount=42
            ),
        )
    with time_machine.travel(FIXED_AT, tick=False):
        hazard_entry(unit, rectifier)
    return unit, rectifier


def history_of(client, unit: Enterprise, lang: str, **params) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get(f"/enterprises/{unit.pk}/", params)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="change-log"') : html.index("</section>", html.index("change-log"))]


def rows(html: str) -> dict[str, tuple[str, str]]:
    """{field label: (before, after)} of every change row in the html."""
    found = re.findall(
        r'<tr><td>(.*?)</td><td class="before">(.*?)</td><td class="after">(.*?)</td></tr>',
        html,
        re.DOTALL,
    )
    return {unescape(f): (unescape(b), unescape(a)) for f, b, a in found}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_changes_read_as_people_read_them(client, world, scene, lang):
    unit, rectifier = scene
    login(client, "cityhall-viewer")
    html = history_of(client, unit, lang)
    shown = rows(html)

    # The unit's own edit: labels and values in the reader's language.
    sectors = [choice(Sector, "hazchem", lang), choice(Sector, "fire", lang)]
    separator = "、" if lang == "zh-hans" else ", "
    assert shown[label(Enterprise, "sectors", lang)][1] == separator.join(sectors)
    assert shown[label(Enterprise, "kind", lang)] == (
        choice(UnitKind, "enterprise", lang),
        choice(UnitKind, "school", lang),
    )
    assert shown[label(Enterprise, "headcount", lang)][1] == "42"

    # The hazard's step: the person's name, local times, yes/no, lists joined.
    assert shown[label(Hazard, "rectifier", lang)] == ("—", "张整改")
    assert shown[label(Hazard, "rectified_at", lang)] == ("—", local(RECTIFIED_AT))
    assert shown[label(Hazard, "deadline", lang)] == ("—", "2026-03-10")
    with translation.override(lang):
        yes = str(translation.gettext("yes"))
        step = str(translation.gettext("Rectified on the spot"))
    assert shown[label(Hazard, "listed", lang)][1] == yes
    assert shown[label(Hazard, "determination_items", lang)][1] == "fire-1, fire-2".replace(
        ", ", separator
    )
    assert step in html and "已清理通道" in html

    # Entry times in local time, like the rest of the page; no ISO timestamps in the text.
    text = re.sub(r"<[^>]+>", " ", html)
    assert local(EDITED_AT) in text and local(FIXED_AT) in text
    assert EDITED_AT.strftime("%Y-%m-%d %H:%M") not in text  # not the UTC wall time
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", text) and "+00:00" not in text

    # Nothing internal: no reprs, no ids, no codes, no hidden fields.
    for internal in ("{'", "['", "None", "fix_on_spot", "ipHASH", "KEYafter", "unit_sectors"):
        assert internal not in html, internal
    assert not re.search(rf"\b{rectifier.pk}\b", text)
    assert ",hazchem," not in html and "hazchem" not in text
    hidden = {"reporter ip hash", "idempotency key", "unit kind", "unit sectors", "version"}
    assert not hidden & {k.lower() for k in shown}


def test_english_and_chinese_labels_differ(client, world, scene):
    """The labels really are translated (not the same text in both languages)."""
    unit, _ = scene
    login(client, "cityhall-viewer")
    zh, en = history_of(client, unit, "zh-hans"), history_of(client, unit, "en")
    assert label(Enterprise, "sectors", "zh-hans") in zh
    assert label(Enterprise, "sectors", "en") in en
    assert label(Enterprise, "sectors", "zh-hans") != label(Enterprise, "sectors", "en")


def add_entries(unit: Enterprise, count: int, start: dt.datetime) -> None:
    users = User.objects.bulk_create(
        User(username=f"log-person-{start:%m%d%H%M}-{i}", first_name=f"人{i}") for i in range(count)
    )
    for i, user in enumerate(users):
        with time_machine.travel(start + dt.timedelta(minutes=i), tick=False):
            hazard_entry(unit, user, comment=f"fix_on_spot: 第{i + 1}次")


def test_newest_first_twenty_a_page_the_21st_on_page_two(client, world, scene):
    unit, _ = scene
    login(client, "cityhall-viewer")
    add_entries(unit, 25, dt.datetime(2026, 4, 1, tzinfo=UTC))  # 27 entries in all
    first = history_of(client, unit, "en")
    assert first.count('<li class="change">') == 20
    assert first.index("第25次") < first.index("第24次")  # newest first
    assert "第5次" not in first  # the 21st newest
    assert 'rel="next"' in first and "changes=2" in first

    second = history_of(client, unit, "en", changes=2)
    assert second.count('<li class="change">') == 7
    assert "第5次" in second and "第25次" not in second

    # htmx asks for the next page: the fragment alone.
    response = client.get(
        f"/enterprises/{unit.pk}/",
        {"changes": 2},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="change-log",
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="change-log">') and "<html" not in fragment
    assert "第5次" in fragment


def queries_for(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_rows(client, world, scene, django_assert_max_num_queries):
    unit, _ = scene
    login(client, "cityhall-viewer")
    url = f"/enterprises/{unit.pk}/"
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "change-log"}
    add_entries(unit, 2, dt.datetime(2026, 4, 1, tzinfo=UTC))
    few, few_fragment = queries_for(client, url), queries_for(client, url, **htmx)
    add_entries(unit, 40, dt.datetime(2026, 5, 1, tzinfo=UTC))  # each names another person
    assert queries_for(client, url) == few
    assert queries_for(client, url, **htmx) == few_fragment
    with django_assert_max_num_queries(10):  # the page 6, the log 3 (count, rows, names)
        client.get(url, {"changes": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="change-log")


def test_the_log_stays_behind_the_records_door(client, world, scene):
    unit, _ = scene
    login(client, "ent2-viewer")  # sees only its own unit
    assert client.get(f"/enterprises/{unit.pk}/").status_code == 404
    response = client.get(
        f"/enterprises/{unit.pk}/",
        {"changes": 1},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="change-log",
    )
    assert response.status_code == 404
    assert "张整改" not in response.content.decode()


def test_the_api_keeps_the_machine_values(client, world, scene):
    unit, rectifier = scene
    login(client, "cityhall-viewer")
    items = client.get(f"/api/v1/enterprises/{unit.pk}/history").json()["items"]
    step = next(i for i in items if i["model"] == "hazards.Hazard")
    assert step["after"]["rectifier"] == rectifier.pk
    assert step["after"]["reporter_ip_hash"] == "ipHASHafter"
    assert step["after"]["rectified_at"] == RECTIFIED_AT.isoformat()
    assert step["comment"] == "fix_on_spot: 已清理通道"
    edit = next(i for i in items if i["model"] == "organisations.Enterprise")
    assert edit["after"]["sectors"] == ",hazchem,fire,"


def test_the_administrators_log_uses_the_same_renderer(client, world, scene):
    login(client, "cityhall-admin")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/audit/", {"model": "hazards.Hazard"}).content.decode()
    assert "张整改" in html and HAZARD_REPR in html and "Rectified on the spot" in html
    assert "fix_on_spot" not in html and "ipHASH" not in html and "{'" not in html
    assert '<option value="hazards.Hazard" selected>Hidden hazard</option>' in html


def test_the_record_type_menu_lists_each_type_once(client, world, scene):
    """The log's own ordering must not make every row distinct: the menu holds each record
    type of the log once, however many changes it has."""
    again = ChangeLog.objects.first()
    assert again is not None
    again.pk = None  # a second change of the same type of record
    again.save()
    login(client, "cityhall-admin")
    html = client.get("/audit/").content.decode()
    options = re.findall(r'<option value="([a-z_]+\.[A-Za-z]+)"', html)
    assert options and len(options) == len(set(options))
    assert set(options) == set(ChangeLog.objects.values_list("model", flat=True))
