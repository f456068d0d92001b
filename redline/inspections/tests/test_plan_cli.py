"""`redline plan-inspections` as a process (the real `redline` executable): the contract of
docs/cli.md. Needs no database and no secret key."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from redline.engines.inspection_plan import plan, plan_json
from redline.engines.plan_csv import read_inspectors, read_targets
from redline.engines.tests.test_inspection_plan import small_city
from redline.inspections.plan_data import RULES_FILE, plan_rules

REDLINE = Path(sys.executable).parent / "redline"

pytestmark = pytest.mark.skipif(
    "redline.inspections" not in settings.INSTALLED_APPS,
    reason="redline.inspections is not in INSTALLED_APPS yet (the command is not found)",
)

KEY_TARGETS = """id,name,sector,region,risk_level,standardisation_grade
K1,甲燃气,gas,r,major,
T2,乙商场,fire,r,low,2
"""
ONE_INSPECTOR = """id,name,department,region,sectors,capacity,recuse
I1,张,住建,r,gas;fire,10,
"""


def redline(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REDLINE_SECRET_KEY"}  # none needed
    return subprocess.run(
        [str(REDLINE), "plan-inspections", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write_city(folder: Path, n_targets: int = 120, n_inspectors: int = 16) -> None:
    targets, inspectors = small_city(n_targets=n_targets, n_inspectors=n_inspectors, seed=8)
    with (folder / "targets.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(("id", "name", "sector", "region", "risk_level", "standardisation_grade"))
        for t in targets:
            grade = "" if t.standardisation_grade is None else t.standardisation_grade
            out.writerow((t.id, t.name, t.sector, t.region, t.risk_level, grade))
    with (folder / "inspectors.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(("id", "name", "department", "region", "sectors", "capacity", "recuse"))
        for i in inspectors:
            sectors, recuse = ";".join(sorted(i.sectors)), ";".join(sorted(i.recuse))
            out.writerow((i.id, i.name, i.department, i.region, sectors, i.capacity, recuse))


FILES = ("--targets", "targets.csv", "--inspectors", "inspectors.csv")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plan")
    write_city(path)
    return path


def test_a_plan_from_files_is_reproducible_byte_for_byte(folder):
    first = redline("--year", "2027", "--seed", "42", *FILES, "--output", "a.json", cwd=folder)
    assert first.returncode == 0, first.stderr
    again = redline("--year", "2027", "--seed", "42", *FILES, "--output", "b.json", cwd=folder)
    assert again.returncode == 0, again.stderr
    text = (folder / "a.json").read_bytes()
    assert text == (folder / "b.json").read_bytes()
    stdout = redline("--year", "2027", "--seed", "42", *FILES, cwd=folder)
    assert stdout.returncode == 0 and stdout.stdout.encode() == text
    # The same as the engine's plan from the same files.
    targets = read_targets((folder / "targets.csv").read_text(encoding="utf-8"), "targets.csv")
    inspectors = read_inspectors(
        (folder / "inspectors.csv").read_text(encoding="utf-8"), {t.id for t in targets}
    )
    expected = plan_json(plan(targets, inspectors, plan_rules(), year=2027, seed=42))
    assert text.decode() == expected
    other = redline("--year", "2027", "--seed", "43", *FILES, cwd=folder)
    assert other.returncode == 0 and other.stdout.encode() != text


def test_the_plan_keeps_the_contract_and_every_hard_rule(folder):
    done = redline("--year", "2027", "--seed", "7", *FILES, cwd=folder)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert list(document)[:3] == ["year", "seed", "inputs_sha256"]
    assert {"year", "seed", "inputs_sha256", "targets", "inspections"} <= set(document)
    assert (document["year"], document["seed"]) == (2027, 7)
    rows = list(csv.DictReader(io.StringIO((folder / "targets.csv").read_text("utf-8"))))
    people = {
        row["id"]: row
        for row in csv.DictReader(io.StringIO((folder / "inspectors.csv").read_text("utf-8")))
    }
    assert [t["id"] for t in document["targets"]] == [row["id"] for row in rows]
    sector = {row["id"]: row["sector"] for row in rows}
    load: Counter[str] = Counter()
    months: dict[str, list[int]] = {}
    for inspection in document["inspections"]:
        who, target = inspection["inspectors"], inspection["target"]
        assert len(who) >= 2 and len(set(who)) == len(who)
        for name in who:
            assert sector[target] in people[name]["sectors"].split(";")
            assert target not in people[name]["recuse"].split(";")
            load[name] += 1
        assert 1 <= inspection["month"] <= 12
        months.setdefault(target, []).append(inspection["month"])
    for name, count in load.items():
        assert count <= int(people[name]["capacity"])
    for row in document["targets"]:
        assert row["reason"] in ("required", "drawn", "not eligible")
        assert 0 <= row["probability"] <= 1
        planned = months.get(row["id"], [])
        assert len(set(planned)) == len(planned) == row["inspections"]
        assert row["selected"] == bool(planned)
        if row["reason"] == "required":
            assert row["probability"] == 1 and planned
        if row["reason"] == "not eligible":
            assert row["probability"] == 0 and not planned
    assert any(0 < row["probability"] < 1 for row in document["targets"])


def test_anyone_can_verify_the_inputs_digest_from_the_published_files(folder):
    """The canonical form of docs/cli.md, rebuilt here from the files alone."""
    done = redline("--year", "2027", "--seed", "1", *FILES, cwd=folder)
    document = json.loads(done.stdout)

    def rows(name: str) -> list[dict[str, str]]:
        text = (folder / name).read_text(encoding="utf-8-sig")
        return [{k: v.strip() for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]

    def items(text: str) -> list[str]:
        return sorted({item.strip() for item in text.split(";") if item.strip()})

    canonical = {
        "format": "redline-inspection-plan-inputs/1",
        "year": 2027,
        "rules": json.loads(RULES_FILE.read_text(encoding="utf-8")),
        "targets": [
            {
                **{k: r[k] for k in ("id", "name", "sector", "region", "risk_level")},
                "standardisation_grade": int(g) if (g := r["standardisation_grade"]) else None,
            }
            for r in rows("targets.csv")
        ],
        "inspectors": [
            {
                **{k: r[k] for k in ("id", "name", "department", "region")},
                "sectors": items(r["sectors"]),
                "capacity": int(r["capacity"]),
                "recuse": items(r["recuse"]),
            }
            for r in rows("inspectors.csv")
        ],
    }
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == document["inputs_sha256"]


def _refused(folder: Path, *args: str) -> str:
    """Runs with --output over an existing file: must fail and leave it (and the folder)
    as it was."""
    (folder / "plan.json").write_text("old")
    before = sorted(p.name for p in folder.iterdir())
    done = redline(*args, "--output", "plan.json", cwd=folder)
    assert done.returncode != 0
    assert (folder / "plan.json").read_text() == "old"
    assert sorted(p.name for p in folder.iterdir()) == before  # no temporary file left
    return done.stderr


@pytest.mark.parametrize(
    ("targets", "inspectors", "message"),
    [
        (
            KEY_TARGETS + "T3,丙,mining,r,low,\n",
            ONE_INSPECTOR,
            "targets.csv: line 4: sector: unknown sector 'mining'",
        ),
        (KEY_TARGETS + "T3,丙,fire,r,huge,\n", ONE_INSPECTOR, "line 4: risk_level: unknown"),
        (KEY_TARGETS + "K1,丙,fire,r,low,\n", ONE_INSPECTOR, "line 4: id: duplicate id 'K1'"),
        (KEY_TARGETS, ONE_INSPECTOR + "I2,李,d,r,fire,-2,\n", "inspectors.csv: line 3: capacity"),
        (KEY_TARGETS, ONE_INSPECTOR + "I2,李,d,r,fire,2,T9\n", "line 3: recuse: unknown target"),
        (KEY_TARGETS, ONE_INSPECTOR + "I1,李,d,r,fire,2,\n", "line 3: id: duplicate id 'I1'"),
        (
            "id,name,sector,region,standardisation_grade\n",
            ONE_INSPECTOR,
            "targets.csv: line 1: risk_level: missing column",
        ),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(tmp_path, targets, inspectors, message):
    (tmp_path / "targets.csv").write_text(targets, encoding="utf-8")
    (tmp_path / "inspectors.csv").write_text(inspectors, encoding="utf-8")
    stderr = _refused(tmp_path, "--year", "2027", "--seed", "1", *FILES)
    assert message in stderr


def test_inputs_that_break_a_hard_rule_name_it_and_write_nothing(tmp_path):
    (tmp_path / "targets.csv").write_text(KEY_TARGETS, encoding="utf-8")
    (tmp_path / "inspectors.csv").write_text(ONE_INSPECTOR, encoding="utf-8")
    stderr = _refused(tmp_path, "--year", "2027", "--seed", "1", *FILES)
    assert "cannot plan: competence: target K1: required (risk level major)" in stderr
    assert "needs 2 inspectors competent for gas; the inspectors file has 1: I1" in stderr
    recused = ONE_INSPECTOR + "I2,李,d,r,gas,5,K1\n"
    (tmp_path / "inspectors.csv").write_text(recused, encoding="utf-8")
    stderr = _refused(tmp_path, "--year", "2027", "--seed", "1", *FILES)
    assert "cannot plan: recusal: target K1" in stderr and "recused: I2" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--year", "20x7", "--seed", "1"), "--year: must be a year from 2000 to 2100"),
        (("--year", "1999", "--seed", "1"), "--year: must be a year"),
        (("--year", "2027", "--seed", "-1"), "--seed: must be a whole number"),
        (("--year", "2027", "--seed", "1.5"), "--seed: must be a whole number"),
        (("--year", "2027", "--seed", "1", "--targets", "targets.csv"), "--inspectors is required"),
        (("--year", "2027", "--seed", "1", "--inspectors", "x.csv"), "--targets is required"),
        (
            ("--year", "2027", "--seed", "1", "--targets", "none.csv", "--inspectors", "x.csv"),
            "--targets: cannot read none.csv",
        ),
    ],
)
def test_bad_options_are_named(folder, args, message):
    done = redline(*args, cwd=folder)
    assert done.returncode != 0
    assert message in done.stderr


def test_without_files_it_plans_the_demo_city_from_its_database(tmp_path):
    """The database path as a process: the demo city in a SQLite file of its own; the plan
    the command draws with the demo's seed is the one the demo published (same inputs)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("REDLINE_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env |= {"REDLINE_DEMO": "1", "REDLINE_VAR_DIR": str(tmp_path)}
    command = [str(Path(sys.executable).with_name("redline"))]
    for args in (("migrate", "-v0"), ("demo",)):
        built = subprocess.run(
            [*command, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
        )
        assert built.returncode == 0, built.stderr[-2000:]
    done = subprocess.run(
        [*command, "plan-inspections", "--year", str(_demo_year()), "--seed", "42"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    drawn = json.loads(done.stdout)
    assert drawn["seed"] == 42 and drawn["targets"] and drawn["inspections"]
    published = subprocess.run(
        [
            *command,
            "shell",
            "-c",
            "from redline.inspections.models import InspectionPlan as P; "
            "p = P.objects.get(state='published'); print(p.inputs_sha256, p.seed)",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert published.returncode == 0, published.stderr
    assert published.stdout.strip().splitlines()[-1].split() == [drawn["inputs_sha256"], "42"]


def _demo_year() -> int:
    import datetime as dt

    return dt.date.today().year + 1
