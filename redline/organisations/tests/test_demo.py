"""The demo city is deterministic, valid and usable by every demo login."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from redline.accounts.models import User
from redline.core import bulk
from redline.core.models import ChangeLog
from redline.engines.credit_code import is_valid
from redline.organisations import demo
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Person, Region, SectorMandate
from redline.organisations.vocab import DepartmentType, Sector, UnitKind

pytestmark = pytest.mark.django_db


def demo_units():
    city = Region.objects.get(code=demo.CITY[2])
    return Enterprise.objects.filter(region__path__startswith=city.path)


def snapshot():
    units = demo_units().order_by("credit_code")
    return list(units.values_list("credit_code", "name", "sectors", "region__code"))


def test_same_seed_same_city_and_every_code_valid():
    with transaction.atomic():
        logins = demo.build(seed=7, scale="small", progress=lambda m: None)
        first = snapshot()
        assert len(first) == demo.SCALES["small"].enterprises + demo.SCALES["small"].key_places
        assert all(is_valid(code) for code, *_rest in first)
        units = demo_units()
        for sector in Sector.values:
            assert units.in_sector(sector).exists(), sector
        for kind in UnitKind.values:
            assert units.filter(kind=kind).exists(), kind
        assert units.filter(chemical_park__isnull=False).exists()
        city = Region.objects.get(code=demo.CITY[2])
        assert all(r.boundary for r in Region.objects.subtree(city))
        for dtype in DepartmentType.values:
            assert SectorMandate.objects.filter(department__department_type=dtype).exists(), dtype
        levels = {entry.level for entry in logins}
        assert levels == {
            "city",
            "committee",
            "district",
            "subdistrict",
            "dept",
            "housing",
            "fire",
            "cdc",
            "enterprise",
            "system",
        }
        assert User.objects.filter(username__in=[e.username for e in logins]).count() == len(logins)
        transaction.set_rollback(True)
    demo.build(seed=7, scale="small", progress=lambda m: None)
    assert snapshot() == first


def test_every_demo_login_sees_what_its_level_promises(client, city):
    logins = list(city.values())  # the small demo city, seed 1 (`core.tests.browser.city`)
    total = Enterprise.objects.filter(is_archived=False).count()
    seen = {}
    for entry in logins:
        client.force_login(User.objects.get(username=entry.username))
        seen[entry.level] = client.get("/api/v1/enterprises").json()["count"]
    assert seen["city"] == seen["committee"] == seen["system"] == total
    assert 0 < seen["subdistrict"] < seen["district"] < total
    assert seen["enterprise"] == 1
    assert 0 < seen["dept"] < total
    assert 0 < seen["cdc"] < total


def test_sector_department_logins_see_their_sectors_units_only(client, monkeypatch):
    """Besides emergency management, a sector department can be tried: the city's housing
    and construction department sees the construction units, the fire rescue department
    the fire-safety key units, each and nothing else."""
    monkeypatch.setattr(demo, "STEPS", [])  # the registry and its users are enough here
    logins = demo.build(seed=1, scale="small", progress=lambda m: None)
    units = demo_units().filter(is_archived=False)
    hazchem_only = units.filter(sectors=f",{Sector.HAZARDOUS_CHEMICALS},").first()
    assert hazchem_only is not None
    for level, sector, dtype in (
        ("housing", Sector.CONSTRUCTION, DepartmentType.HOUSING),
        ("fire", Sector.FIRE_KEY_UNITS, DepartmentType.FIRE),
    ):
        names = {e.username for e in logins if e.level == level}
        assert names == {f"{level}-{role}" for role in ROLES}
        theirs = set(units.in_sector(sector).values_list("pk", flat=True))
        assert theirs
        for username in sorted(names):
            user = User.objects.get(username=username)
            assert user.organisation.department_type == dtype
            assert user.organisation.region.code == demo.CITY[2]
            seen = set(Enterprise.objects.restrict(user, "view").values_list("pk", flat=True))
            assert seen == theirs, username
        client.force_login(User.objects.get(username=f"{level}-viewer"))
        assert client.get("/api/v1/enterprises").json()["count"] == len(theirs)
        inside = min(theirs)
        assert client.get(f"/api/v1/enterprises/{inside}").status_code == 200
        assert client.get(f"/api/v1/enterprises/{hazchem_only.pk}").status_code == 404


def test_printed_logins_stand_under_the_organisation_their_record_names(tmp_path, city):
    """`make run` prints the logins (`redline demo --print-logins`) grouped by organisation;
    the later demo steps' logins (hospital, health commission, district CDC) share levels
    with the first ones, and each must still be shown under its own organisation."""
    logins = list(city.values())
    path = tmp_path / "demo-logins.json"
    path.write_text(json.dumps([entry.as_dict() for entry in logins], ensure_ascii=False))
    out = io.StringIO()
    call_command("demo", print_logins=True, logins_file=str(path), stdout=out)
    shown: dict[str, str] = {}  # username -> the organisation it is printed under
    for line in out.getvalue().splitlines():
        if not line.startswith("  "):
            continue
        label, _space, rest = line.strip().partition(" ")
        organisation, _colon, names = rest.strip().rpartition(": ")
        for username in names.split(", "):
            assert username not in shown and username.rsplit("-", 1)[0] == label, line
            shown[username] = organisation
    records = json.loads(path.read_text())
    assert {"hospital-viewer", "health-viewer", "districtcdc-viewer"} <= set(shown)
    assert shown == {entry["username"]: entry["organisation"] for entry in records}


# Columns that are random by design, so a second build cannot give them again: unguessable
# tokens (a photo's download token and the file name made from it, a public report's
# tracking code that its reporter alone should know), and the same values where the change
# log's snapshots ("before", "after") copy them.
RANDOM_BY_DESIGN = {
    ("hazards_photo", "token"),
    ("hazards_photo", "file"),
    ("hazards_hazard", "tracking_code"),
}
RANDOM_KEYS = {"token", "file", "tracking_code"}


def scrubbed(value):
    """A change-log snapshot (JSON text, or a dict on PostgreSQL) without the
    random-by-design values."""
    if isinstance(value, str) and value.startswith("{"):
        value = json.loads(value)
    if isinstance(value, dict):
        return json.dumps({k: v for k, v in value.items() if k not in RANDOM_KEYS})
    return value


def table_digests() -> dict[str, tuple[int, dict[str, str]]]:
    """Every table's rows (how many, and a SHA-256 of each column's values in id order);
    surrogate keys included."""
    digests = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if not meta.managed or meta.proxy:
                continue
            columns = [
                f.column
                for f in meta.concrete_fields
                if (meta.db_table, f.column) not in RANDOM_BY_DESIGN
            ]
            quote = connection.ops.quote_name
            cursor.execute(
                f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(meta.db_table)} "
                f"ORDER BY {quote(meta.pk.column)}"
            )
            rows = cursor.fetchall()
            if meta.db_table == "core_changelog":
                rows = [tuple(scrubbed(v) for v in row) for row in rows]
            digests[meta.db_table] = (
                len(rows),
                {
                    column: hashlib.sha256(repr([r[i] for r in rows]).encode()).hexdigest()
                    for i, column in enumerate(columns)
                },
            )
    return digests


def id_sequences() -> dict[str, tuple[int, bool]]:
    """PostgreSQL's id sequences where they stand (`last_value`, `is_called`); none on
    SQLite, whose sequence table is rolled back with the build."""
    if connection.vendor != "postgresql":
        return {}
    found = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            automatic = meta.pk.get_internal_type().endswith("AutoField")
            if not meta.managed or meta.proxy or not automatic:
                continue
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
            (sequence,) = cursor.fetchone()
            if sequence:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                found[sequence] = cursor.fetchone()
    return found


def restore_id_sequences(found: dict[str, tuple[int, bool]]) -> None:
    """PostgreSQL's sequences are not transactional: a rolled-back build leaves them
    advanced. Put each back exactly where `id_sequences` found it."""
    with connection.cursor() as cursor:
        for sequence, (last_value, is_called) in found.items():
            cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])


def test_same_seed_same_rows_in_every_table(settings, tmp_path):
    """The whole small demo, every module's step included, built twice from the same seed
    at the same moment: every table holds the same rows, ids and timestamps included."""
    moment = dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC)
    builds = []
    found = id_sequences()
    for run in ("first", "second"):
        settings.MEDIA_ROOT = str(tmp_path / run)  # a fresh media folder, as on a new site
        restore_id_sequences(found)
        with transaction.atomic(), time_machine.travel(moment, tick=False):
            demo.build(seed=3, scale="small", progress=lambda m: None)
            builds.append(table_digests())
            transaction.set_rollback(True)
    restore_id_sequences(found)
    first, second = builds
    assert sum(rows for rows, _digest in first.values()) > 10_000  # the whole city was built
    differing = {
        table: (first[table][0], second[table][0])
        if first[table][0] != second[table][0]
        else [c for c, digest in first[table][1].items() if second[table][1][c] != digest]
        for table in first
        if first[table] != second[table]
    }
    assert differing == {}  # table: (rows, rows) or the columns that differ


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty", [True, False])
def test_progress_is_one_line_per_step_rewritten_in_place_on_a_terminal(tty, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "STEPS", [])  # the city itself has steps enough
    # The command builds into an empty database only; the test database may hold the
    # session's access-test city (the demo's codes differ from it), rolled back after.
    monkeypatch.setattr(Region.objects, "exists", lambda: False)
    out = Terminal() if tty else io.StringIO()
    call_command("demo", logins_file=str(tmp_path / "logins.json"), stdout=out)
    text = out.getvalue()
    lines = text.split("\n")
    assert any("units: 78 (enterprises 60, key places 18)" in line for line in lines)
    assert "demo city built" in lines[-2]
    if tty:
        # Counts shown while a step runs, then wiped and replaced by the step's line.
        assert "units: 78 / 78\r\x1b[K[" in text
    else:
        assert "\r" not in text and "/ 78" not in text


MOMENT = dt.datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=dt.UTC)


@time_machine.travel(MOMENT, tick=False)
def test_bulk_rows_read_back_as_the_orm_saves_them():
    """`core.bulk` (the demo's loader) stores what `save()` stores: dates and times, JSON,
    decimals, defaults, `auto_now_add`, a parent's id taken when the parent got it."""
    region = Region.objects.create(code="990001", name="测试区", level="city", population=1)
    fields = {
        "name": "测试单位",
        "kind": UnitKind.ENTERPRISE,
        "region": region,
        "address": "测试路1号",
        "latitude": Decimal("30.123456"),
        "longitude": Decimal("120.654321"),
        "headcount": 12,
        "sectors": ",hazchem,",
    }
    saved = Enterprise.objects.create(credit_code="91990001MA0000001X", **fields)
    loaded = Enterprise(credit_code="91990001MA0000002X", **fields)
    person = Person(name="张三", role="main_responsible", phone="1", enterprise=loaded)
    bulk.insert([loaded])  # after the person was given its (then id-less) unit
    bulk.insert([person])
    assert loaded.pk == saved.pk + 1 and person.enterprise_id == loaded.pk

    def fields_of(pk):
        row = Enterprise.objects.filter(pk=pk).values().get()
        return {k: v for k, v in row.items() if k not in ("id", "credit_code")}

    assert fields_of(loaded.pk) == fields_of(saved.pk)
    orm = ChangeLog.objects.create(
        client="cli", action="create", model="x.Y", object_id="1", after={"a": [1, "二"]}
    )
    row = {"client": "cli", "action": "create", "model": "x.Y", "object_id": "1"}
    bulk.insert_values(ChangeLog, [row | {"after": {"a": [1, "二"]}}])
    logs = ChangeLog.objects.filter(pk__gte=orm.pk).order_by("pk").values()
    first, second = ({k: v for k, v in r.items() if k != "id"} for r in logs)
    assert first == second and first["at"] == MOMENT
