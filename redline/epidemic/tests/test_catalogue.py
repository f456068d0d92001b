"""The disease/syndrome catalogue as data: every entry uses a method the engine offers or has
announced, with parameters its parser accepts; the per-disease facts of the domain note; the
loader's idempotent, audited upsert; the command; the catalogue page and endpoint."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from redline.conftest import login
from redline.core.models import ChangeLog
from redline.engines.detection.run import METHODS, PLANNED, parse_params
from redline.epidemic import catalogue
from redline.epidemic.catalogue import CATALOGUE, CatalogueError, param_text
from redline.epidemic.models import Condition
from redline.epidemic.services import condition_catalogue_load

RAW = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["conditions"]
BY_CODE = {entry["code"]: entry for entry in RAW}


def write(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "conditions.yaml"
    path.write_text(yaml.safe_dump({"conditions": entries}, allow_unicode=True), "utf-8")
    return path


def entry(**changes):
    return dict(BY_CODE["measles"]) | changes


# --- the file --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", RAW, ids=[e["code"] for e in RAW])
def test_each_entry_names_an_engine_method_with_parameters_it_accepts(raw):
    assert raw["method"] in {*METHODS, *PLANNED}
    if raw["method"] in METHODS:
        pairs = [f"{k}={param_text(v)}" for k, v in (raw.get("params") or {}).items()]
        parsed = parse_params(raw["method"], pairs)
        assert set(parsed) == set(raw.get("params") or {})
    assert raw["verify_hours"] == (2 if raw["method"] == "fixed" else 24)
    assert raw["source"].strip() and raw["source_en"].strip()


def test_the_file_reads_without_problems():
    entries = catalogue.read()
    assert [e.code for e in entries] == [r["code"] for r in RAW]
    assert len({e.code for e in entries}) == len(entries)


def test_rare_severe_diseases_signal_on_one_case():
    for code in ("plague", "cholera", "sars", "hpai_h5n1", "h7n9"):
        raw = BY_CODE[code]
        assert raw["method"] == "fixed" and raw["params"] == {"threshold": 1}, code
        assert raw["aggregation"] == "daily" and raw["verify_hours"] == 2
    assert BY_CODE["plague"]["disease_class"] == "A"
    assert BY_CODE["cholera"]["disease_class"] == "A"


def test_mpm_percentiles_are_the_national_optima_of_the_note():
    # Domain note §2.2: dysentery P50; other diarrhoea, mumps P60; hepatitis A, influenza,
    # rubella P70; Japanese encephalitis P80; scarlet fever, measles, dengue, ... P90.
    expected = {
        "dysentery": 50,
        "other_diarrhoea": 60,
        "mumps": 60,
        "hepatitis_a": 70,
        "influenza": 70,
        "rubella": 70,
        "japanese_encephalitis": 80,
        "scarlet_fever": 90,
        "measles": 90,
        "dengue": 90,
        "typhoid": 90,
        "hepatitis_e": 90,
        "malaria": 90,
        "meningococcal": 90,
        "haemorrhagic_conjunctivitis": 90,
    }
    for code, percentile in expected.items():
        assert BY_CODE[code]["method"] == "mpm", code
        assert BY_CODE[code]["params"]["percentile"] == percentile, code
    # A percentile the note does not give is flagged.
    assert "no national percentile" in BY_CODE["hfmd"]["unconfirmed_en"]


def test_weekly_syndromes_use_noufailys_improved_farrington_flexible():
    for code in ("ili", "acute_diarrhoea"):
        raw = BY_CODE[code]
        assert raw["aggregation"] == "weekly" and raw["method"] == "farrington-flexible"
        assert raw["params"] | {"b": None, "alpha": None} == {
            "noPeriods": 10,
            "b": None,
            "w": 3,
            "weightsThreshold": 2.58,
            "pastWeeksNotIncluded": 26,
            "pThresholdTrend": 1,
            "thresholdMethod": "nbPlugin",
            "alpha": None,
        }
        assert raw["params"]["b"] in (4, 5) and 0 < raw["params"]["alpha"] < 0.5


def test_key_place_syndromes_use_ears_c2_daily():
    raw = BY_CODE["fever_respiratory_place"]
    assert (raw["method"], raw["aggregation"]) == ("ears-c2", "daily")


def test_unverified_facts_are_flagged():
    # The FDM disease list and the MPM blocks are unverified in the note; so are the time
    # limits (inferred from reported metrics).
    for raw in RAW:
        assert raw.get("unconfirmed") and raw.get("unconfirmed_en"), raw["code"]
    assert "FDM" in BY_CODE["diphtheria"]["unconfirmed_en"]
    assert "blocks" in BY_CODE["measles"]["unconfirmed_en"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"method": "holt-winters"}, "not a detection method"),
        ({"method": "ears-c2", "params": {"baseline": "seven"}}, "baseline"),
        ({"method": "ears-c2", "params": {"window": 7}}, "unknown parameter"),
        ({"method": "mpm", "params": {"percentile": 150}}, "percentile"),
        ({"disease_class": "D"}, "disease_class"),
        ({"kind": "illness"}, "kind"),
        ({"aggregation": "monthly"}, "aggregation"),
        ({"verify_hours": 0}, "verify_hours"),
        ({"verify_hours": "2h"}, "verify_hours"),
        ({"code": "Measles!"}, "code"),
        ({"colour": "red"}, "unknown field"),
        ({"source": ""}, "source: required"),
        ({"active": "yes"}, "active"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_entry_and_field(tmp_path, changes, problem):
    path = write(tmp_path, [entry(**changes)])
    with pytest.raises(CatalogueError) as raised:
        catalogue.read(path)
    assert any(problem in p for p in raised.value.problems), raised.value.problems


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        [entry(kind="x"), entry(code="mumps", method="nope"), entry(code="measles")],
    )
    with pytest.raises(CatalogueError) as raised:
        catalogue.read(path)
    problems = raised.value.problems
    assert any(p.startswith("measles: kind") for p in problems)
    assert any(p.startswith("mumps: method") for p in problems)
    assert len(problems) == 2  # the third measles is only a duplicate of a bad entry


def test_duplicate_codes_are_refused(tmp_path):
    path = write(tmp_path, [entry(), entry()])
    with pytest.raises(CatalogueError, match="also used by entry 1"):
        catalogue.read(path)


# --- loading ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loading_is_an_idempotent_audited_upsert(tmp_path):
    first = condition_catalogue_load()
    assert sorted(first.created) == sorted(BY_CODE)
    assert Condition.objects.count() == len(RAW)
    logged = ChangeLog.objects.filter(model="epidemic.Condition")
    assert logged.filter(action="create").count() == len(RAW)
    cholera = Condition.objects.get(code="cholera")
    assert (cholera.method, cholera.params, cholera.verify_hours) == ("fixed", {"threshold": 1}, 2)
    assert cholera.disease_class == "A" and cholera.name == "霍乱"

    again = condition_catalogue_load()
    assert not again.changed and len(again.unchanged) == len(RAW)
    assert logged.count() == len(RAW)

    changed = [dict(r) for r in RAW if r["code"] != "rubella"]
    for raw in changed:
        if raw["code"] == "measles":
            raw["params"] = dict(raw["params"], percentile=80)
    path = write(tmp_path, changed)
    third = condition_catalogue_load(path=path)
    assert third.created == [] and third.deactivated == ["rubella"]
    assert third.updated == {
        "measles": {"params": (BY_CODE["measles"]["params"], changed[8]["params"])}
    }
    assert Condition.objects.get(code="measles").params["percentile"] == 80
    assert not Condition.objects.get(code="rubella").is_active
    update = logged.filter(action="update", object_repr="麻疹").get()
    assert (
        update.before["params"]["percentile"] == 90 and update.after["params"]["percentile"] == 80
    )

    # Back to the package file: rubella active again, measles back to P90.
    fourth = condition_catalogue_load()
    assert set(fourth.updated) == {"measles", "rubella"}
    assert Condition.objects.get(code="rubella").is_active


@pytest.mark.django_db
def test_a_bad_file_changes_nothing(tmp_path):
    condition_catalogue_load()
    before = ChangeLog.objects.count()
    path = write(tmp_path, [entry(percentile=3)])
    with pytest.raises(CatalogueError):
        condition_catalogue_load(path=path)
    assert Condition.objects.filter(is_active=True).count() == len(RAW)
    assert ChangeLog.objects.count() == before


@pytest.mark.django_db
def test_the_command_prints_what_changed(tmp_path):
    out = io.StringIO()
    call_command("load_conditions", stdout=out)
    text = out.getvalue()
    assert "created: cholera" in text
    assert f"{len(RAW)} created, 0 updated, 0 deactivated, 0 unchanged" in text

    changed = [dict(r) for r in RAW if r["code"] != "mumps"]
    changed[0] = dict(changed[0], verify_hours=1)
    path = write(tmp_path, changed)
    out = io.StringIO()
    call_command("load_conditions", "--file", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "would be updated: plague.verify_hours: 2 -> 1" in text
    assert "would be deactivated (no longer in the file): mumps" in text
    assert "dry run: nothing saved" in text
    assert Condition.objects.get(code="plague").verify_hours == 2

    out = io.StringIO()
    call_command("load_conditions", stdout=out)
    assert out.getvalue().strip() == f"0 created, 0 updated, 0 deactivated, {len(RAW)} unchanged"

    bad = write(tmp_path, [entry(method="nope")])
    with pytest.raises(CommandError, match="measles: method"):
        call_command("load_conditions", "--file", str(bad), stdout=io.StringIO())


# --- the page and the endpoint ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_catalogue_page_shows_method_parameters_time_limit_and_flags(
    client, world, django_assert_num_queries
):
    condition_catalogue_load()
    login(client, "education-viewer")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # session, user, catalogue, organisation, unread, and what the navigation shows this
    # department (its region and mandates: what concerns it); none per condition
    with django_assert_num_queries(7):
        response = client.get("/epidemic/conditions/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="condition-cholera"' in html and "threshold=1" in html
    assert "percentile=90" in html and "thresholdMethod=nbPlugin" in html
    assert html.count('class="unconfirmed"><span class="tag flag">UNCONFIRMED') == len(RAW)
    assert "FDM disease list varies by source" in html


@pytest.mark.django_db
def test_the_catalogue_endpoint(client, world):
    condition_catalogue_load()
    Condition.objects.filter(code="rubella").update(is_active=False)
    login(client, "ent-viewer")
    body = client.get("/api/v1/epidemic/conditions").json()
    codes = {c["code"] for c in body}
    assert "rubella" not in codes and "cholera" in codes
    cholera = next(c for c in body if c["code"] == "cholera")
    assert cholera["verify_hours"] == 2 and cholera["params"] == {"threshold": 1}
    everything = client.get("/api/v1/epidemic/conditions", {"include_inactive": True}).json()
    assert len(everything) == len(RAW)
    client.logout()
    assert client.get("/api/v1/epidemic/conditions").status_code == 401
