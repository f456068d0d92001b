"""Pages speak the reader's language and never of internal files: no "UNCONFIRMED", no
internal notes (".md" files, "[S60]" references) and no untranslated "Select an option" on
Chinese pages; disease names, park guides and GB 18218 categories in English on English pages;
the risk inventory export named in the reader's language. The data files' user-facing notes
are checked at the source too."""

from __future__ import annotations

import datetime as dt
import html as markup
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import time_machine
import yaml
from django.conf import settings
from django.utils import timezone, translation

from redline.conftest import login
from redline.engines.detection import mpm
from redline.epidemic import messages
from redline.epidemic.catalogue import CATALOGUE
from redline.epidemic.detection import detection_run
from redline.epidemic.models import Condition
from redline.epidemic.services import condition_catalogue_load
from redline.epidemic.tests.signal_data import add_cdc, at, condition, outbreak
from redline.medical.models import CapacityThreshold
from redline.organisations.models import ChemicalPark, Enterprise, Region
from redline.risk.standards import DATA as RISK_DATA
from redline.risk.standards import basis_label, park_guides
from redline.risk.views_spreadsheet import export_file_name

INTERNAL = re.compile(r"\w\.md\b|\[S\d+[a-z]?\]|note §|domain notes|领域资料")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _site_language_after():
    """A request in English leaves English active in the thread: restore the site's."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def foreign_or_internal(html: str) -> list[str]:
    """What a Chinese page must not show."""
    found = [m.group(0) for m in INTERNAL.finditer(html)]
    found += [word for word in ("UNCONFIRMED", "Select an option") if word in html]
    return found


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def options(html: str, name: str) -> list[str]:
    """The labels of a select's options."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.DOTALL)
    assert select, f"no select {name}"
    return [
        markup.unescape(o) for o in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))
    ]


# --- the data files: what users see is written for them -------------------------------------


def _user_texts() -> list[tuple[str, str, str]]:
    """(where, language, text) of every data-file text shown to users."""
    texts = []
    for guide in park_guides().values():
        for lang in ("zh", "en"):
            for key in (f"title_{lang}", f"source_{lang}"):
                texts.append((f"park-classes {guide['id']} {key}", lang, guide[key]))
    for path in sorted((RISK_DATA / "rulesets").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for lang in ("zh", "en"):
            if f"title_{lang}" in data:
                texts.append((f"{path.name} note_{lang}", lang, data[f"note_{lang}"]))
    for raw in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["conditions"]:
        for key in ("source", "unconfirmed"):
            texts.append((f"{raw['code']} {key}", "zh", raw.get(key, "")))
            texts.append((f"{raw['code']} {key}_en", "en", raw.get(f"{key}_en", "")))
    thresholds = Path(RISK_DATA).parents[1] / "medical" / "data" / "thresholds.yaml"
    for row in yaml.safe_load(thresholds.read_text(encoding="utf-8"))["thresholds"]:
        where = f"threshold {row['metric']}/{row['scope']}/{row['level']}"
        for key in ("source", "unconfirmed"):
            texts.append((f"{where} {key}", "zh", row.get(key, "")))
            texts.append((f"{where} {key}_en", "en", row.get(f"{key}_en", "")))
    return texts


def test_the_data_files_notes_for_users_name_no_internal_file_and_speak_their_language():
    texts = _user_texts()
    assert len(texts) > 100
    internal = [(where, text) for where, _lang, text in texts if INTERNAL.search(text or "")]
    assert not internal, internal[:5]
    for where, lang, text in texts:
        if lang == "zh" and text:
            assert CJK.search(text) and "UNCONFIRMED" not in text, (where, text)
        if lang == "en" and text:
            assert text.strip(), where
    # Every condition's notes exist in both languages.
    both = [w for w, lang, t in texts if w.split()[1] in ("source", "source_en") and not t]
    assert not both, both


def test_the_engines_mpm_note_is_translated():
    with translation.override("zh-hans"):
        chinese = messages.translated(mpm.UNCONFIRMED_BLOCKS)
    assert CJK.search(chinese) and "UNCONFIRMED" not in chinese
    with translation.override("en"):
        assert messages.translated(mpm.UNCONFIRMED_BLOCKS) == mpm.UNCONFIRMED_BLOCKS


def test_the_gb18218_basis_is_translated():
    with translation.override("zh-hans"):
        assert basis_label("GB18218-2018 Table 1 row 3") == "GB18218-2018 表1 第3行"
        assert basis_label("GB 18218-2018 Table 4 W5.1") == "GB 18218-2018 表4 W5.1"
    with translation.override("en"):
        assert basis_label("GB 18218-2018 Table 3 row 2") == "GB 18218-2018 Table 3 row 2"


@pytest.mark.django_db
def test_the_shipped_capacity_thresholds_notes_in_chinese():
    rows = list(CapacityThreshold.objects.all())
    assert rows
    with translation.override("zh-hans"):
        for row in rows:
            shown = f"{row.source_note} {row.unconfirmed_note}"
            assert not foreign_or_internal(shown), (row, shown)


# --- chemical parks ---------------------------------------------------------------------------


@pytest.fixture
def park(world):
    park = ChemicalPark.objects.create(
        name="译文测试园区", region=Region.objects.get(code="100100")
    )
    Enterprise.objects.filter(name="U-S11-hazchem").update(chemical_park=park)
    return park


@pytest.mark.django_db
def test_the_park_page_in_chinese_and_english(client, park):
    login(client, "d1-operator")
    html = client.get(f"/parks/{park.pk}/").content.decode()
    assert 'id="park-map"' in html and 'name="guide"' in html
    assert not foreign_or_internal(html), foreign_or_internal(html)
    guides = park_guides()
    # The 2019 bands are flagged; the flag's note names the guide and its document number.
    assert guides["2019"]["source_zh"] in html and "应急〔2019〕78号" in guides["2019"]["source_zh"]
    assert [o.rstrip(" ⚠") for o in options(html, "guide")] == [
        g["title_zh"] for g in guides.values()
    ]

    english(client)
    html = client.get(f"/parks/{park.pk}/").content.decode()
    labels = [o.rstrip(" ⚠") for o in options(html, "guide")]
    assert labels == [g["title_en"] for g in guides.values()]
    assert not any(CJK.search(label) for label in labels)
    assert guides["2019"]["source_en"].replace("'", "&#x27;") in html


# --- major hazard installations ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_installation_form_and_page_in_chinese_and_english(client, world):
    login(client, "ent-operator")
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    url = f"/enterprises/{unit.pk}/installations/new/"
    html = client.get(url).content.decode()
    assert not foreign_or_internal(html), foreign_or_internal(html)
    assert options(html, "kind")[0] == "- 请选择 -"
    categories = options(html, "s-0-category")[1:]
    assert len(categories) == 24
    assert "J1 急性毒性 · 类别1，所有暴露途径，气体" in categories
    # (units such as MPa stay as they are; no English words)
    assert not [c for c in categories if re.search(r"[a-z]{4,}", c)], categories

    english(client)
    html = client.get(url).content.decode()
    assert options(html, "kind")[0] == "- Select an option -"
    categories = options(html, "s-0-category")[1:]
    assert "J1 Acute toxicity · Category 1, all exposure routes, gas" in categories
    assert not [c for c in categories if CJK.search(c)], categories

    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    form = {
        "name": "译文测试储罐",
        "code": "",
        "kind": "storage",
        "people_exposed": 10,
        "s-TOTAL_FORMS": 1,
        "s-INITIAL_FORMS": 0,
        "s-MIN_NUM_FORMS": 0,
        "s-MAX_NUM_FORMS": 50,
        "s-0-identifier": "7446-09-5",
        "s-0-tonnes": 200,
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    html = client.get(response["Location"]).content.decode()
    assert "GB18218-2018 表1 第4行" in html and "β: GB18218-2018 表3 第2行" in html
    assert "Table" not in html and not foreign_or_internal(html)
    english(client)
    html = client.get(response["Location"]).content.decode()
    assert "GB18218-2018 Table 1 row 4" in html


# --- epidemic ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_catalogue_page_in_chinese(client, world):
    condition_catalogue_load()
    login(client, "education-viewer")
    html = client.get("/epidemic/conditions/").content.decode()
    assert 'id="condition-cholera"' in html
    assert not foreign_or_internal(html), foreign_or_internal(html)
    measles = Condition.objects.get(code="measles")
    assert measles.source in html and measles.unconfirmed in html
    english(client)
    html = client.get("/epidemic/conditions/").content.decode()
    assert "Measles" in html and measles.unconfirmed_en in html


D = dt.date(2026, 3, 10)
NOW = at(D + dt.timedelta(days=1), 9)


@pytest.mark.django_db
def test_disease_names_by_disease_and_in_the_filters_follow_the_language(client, world):
    add_cdc(world, "cdc_i18n", "C")
    ili = condition("ili", name="流感样病例")
    outbreak(ili, world.regions["S11"], D)
    with time_machine.travel(NOW, tick=False):
        detection_run(day=D, now=NOW)
    login(client, "cdc_i18n-manager")

    english(client)
    page = client.get("/epidemic/")
    by_disease = page.context["data"].by_condition
    assert [row["name"] for row in by_disease] == ["Test condition ili"]
    html = page.content.decode()
    table = html[html.index("<h2>By disease or syndrome</h2>") :]
    table = table[: table.index("</table>")]
    assert "Test condition ili" in table and "流感样病例" not in table
    html = client.get("/epidemic/signals/").content.decode()
    assert "Test condition ili" in options(html, "condition")
    assert "流感样病例" not in html
    found = client.get("/epidemic/signals/", {"q": "test condition"}).context["rows"]
    assert [s.condition.code for s in found] == ["ili"]  # searched by its English name too

    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    page = client.get("/epidemic/")
    assert [row["name"] for row in page.context["data"].by_condition] == ["流感样病例"]
    assert not foreign_or_internal(page.content.decode())
    html = client.get("/epidemic/signals/").content.decode()
    assert "流感样病例" in options(html, "condition")
    assert not foreign_or_internal(html)


# --- the risk inventory export -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_inventory_export_is_named_in_the_readers_language(client, world):
    login(client, "ent-operator")
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    today = timezone.localdate().isoformat()
    url = f"/enterprises/{unit.pk}/risks/export.xlsx"
    header = client.get(url)["Content-Disposition"]
    # A non-ASCII name goes as RFC 6266 filename* (UTF-8, percent-encoded).
    assert header.startswith("attachment; filename*=utf-8''"), header
    assert unquote(header.split("''", 1)[1]) == f"风险清单-U-S11-hazchem-{today}.xlsx"
    english(client)
    header = client.get(url)["Content-Disposition"]
    assert header == f'attachment; filename="risk-inventory-U-S11-hazchem-{today}.xlsx"'


def test_the_export_file_name_is_safe_for_a_file_system():
    day = dt.date(2026, 12, 5)
    with translation.override("zh-hans"):
        assert (
            export_file_name("甲/乙:化工*有限公司", day)
            == "风险清单-甲_乙_化工_有限公司-2026-12-05.xlsx"
        )
    with translation.override("en"):
        assert export_file_name("..", day) == "risk-inventory-_-2026-12-05.xlsx"
