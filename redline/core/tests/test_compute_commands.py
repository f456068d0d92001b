"""The compute-only commands (`redline.commands`) start without the web application: no
settings read, no Django app loaded, no system checks, so a machine without a secret key, a
database or the front end runs them, and nothing is printed but their result."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from redline.commands import COMMANDS, computes_only

REDLINE = str(Path(sys.executable).with_name("redline"))
COUNTS = "series,date,count\n" + "".join(
    f"a,{dt.date(2020, 1, 6) + dt.timedelta(weeks=t)},{t % 3}\n" for t in range(9)
)
# Runs `redline` in this process's interpreter, then lists the modules it imported.
PROBE = (
    "import sys; sys.argv = ['redline', *sys.argv[1:]]\n"
    "from redline.cli import main\n"
    "try:\n    main()\nexcept SystemExit as stop:\n    code = stop.code\n"
    "mods = sorted(m for m in sys.modules if m.startswith(('django.apps', 'django.db', "
    "'django.urls', 'django.core.management', 'redline.settings', 'django.contrib')))\n"
    "print(repr((code, mods)), file=sys.stderr)\n"
)


def bare_environment(tmp_path: Path) -> dict[str, str]:
    """No Redline setting at all, settings that would fail if read, no front end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="no.such.settings",
        REDLINE_DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        REDLINE_NODE_MODULES=str(tmp_path / "no-front-end"),
        REDLINE_VAR_DIR=str(tmp_path / "var"),
    )
    return env


def probe(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=bare_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    code, modules = eval(done.stderr.strip().splitlines()[-1])  # the probe's own repr
    return done, code, modules


def test_detect_runs_without_settings_apps_or_checks(tmp_path):
    source = tmp_path / "counts.csv"
    source.write_text(COUNTS)
    done, code, modules = probe(tmp_path, "detect", "--method", "ears-c1", "--input", str(source))
    assert code in (0, None), done.stderr
    assert done.stdout.startswith("series,date,count,upperbound,alarm\n")
    assert modules == []  # no settings module, no app registry, no URL conf, no database
    assert "staticfiles" not in done.stderr and "WARNING" not in done.stderr


def test_every_compute_command_answers_help_without_django(tmp_path):
    for name in COMMANDS:
        args = [name, "--help"] if name in ("detect", "plan-inspections") else [name, "-h"]
        if name == "plan-inspections":
            args = [name, "--targets", "t.csv", "--help"]
        done, code, modules = probe(tmp_path, *args)
        assert code == 0, (name, done.stderr)
        assert f"redline {name}" in done.stdout
        assert modules == [], name


def test_bad_input_is_refused_by_name_and_nothing_written(tmp_path):
    target = tmp_path / "levels.json"
    (tmp_path / "accidents.json").write_text("{not json")
    done = subprocess.run(
        [REDLINE, "accidents", "classify", "--input", "accidents.json", "--output", str(target)],
        env=bare_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr == "CommandError: --input: not valid JSON (line 1, column 2)\n"
    assert not target.exists() and not list(tmp_path.glob(".levels-*"))


def test_plan_inspections_without_files_is_the_database_path():
    assert computes_only(["redline", "plan-inspections", "--targets", "t.csv"])
    assert computes_only(["redline", "plan-inspections", "--targets=t.csv"])
    assert not computes_only(["redline", "plan-inspections", "--year", "2027", "--seed", "1"])
    assert not computes_only(["redline", "migrate"])
    assert not computes_only(["redline"])


@pytest.mark.django_db
def test_the_management_command_is_the_same_declaration(tmp_path, capsys):
    """Through Django (`call_command`, `redline help`) the same declaration gives the same
    result and the same refusals."""
    source = tmp_path / "counts.csv"
    source.write_text(COUNTS)
    call_command("detect", "--method", "ears-c1", "--input", str(source))
    through_django = capsys.readouterr().out
    done = subprocess.run(
        [REDLINE, "detect", "--method", "ears-c1", "--input", str(source)],
        env=bare_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout == through_django
    (tmp_path / "units.json").write_text(json.dumps({"units": "no"}))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as refused:
        call_command("hazard-sources", "grade", "--input", str(tmp_path / "units.json"))
    again = subprocess.run(
        [REDLINE, "hazard-sources", "grade", "--input", str(tmp_path / "units.json")],
        env=bare_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 1
    assert again.stderr == f"CommandError: {refused.value}\n"
