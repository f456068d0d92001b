"""`redline detect` (contract in docs/cli.md) on R 'surveillance' 1.20.3's reference files:
the EARS methods reproduce every file; bad input exits non-zero naming the row/parameter."""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from redline.conftest import shared_path

DATASETS = ["salmNewport", "hepatitisA", "salmonella.agona", "shadar", "influMen", "rotaBB"]
REDLINE = Path(sys.executable).with_name("redline")


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("config", ["ears-c1", "ears-c2", "ears-c3"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_reproduces_the_reference(tmp_path, dataset, config):
    folder = shared_path("reference", "surveillance", dataset)
    output = tmp_path / "result.csv"
    call_command("detect", method=config, input=str(folder / "input.csv"), output=str(output))
    got = rows(output.read_text(encoding="utf-8"))
    want = rows((folder / f"{config}.csv").read_text(encoding="utf-8"))
    assert [(r["series"], r["date"], r["count"]) for r in got] == [
        (r["series"], r["date"], r["count"]) for r in want
    ]
    for mine, theirs in zip(got, want, strict=True):
        assert mine["alarm"] == theirs["alarm"], mine
        if theirs["upperbound"] == "":
            assert mine["upperbound"] == ""
        else:
            assert math.isclose(
                float(mine["upperbound"]), float(theirs["upperbound"]), rel_tol=1e-6, abs_tol=1e-9
            )


def run(*args, stdin=""):
    env = {k: v for k, v in os.environ.items() if k != "REDLINE_SECRET_KEY"}
    return subprocess.run(
        [str(REDLINE), "detect", *args], input=stdin, capture_output=True, text=True, env=env
    )


GOOD = "series,date,count\n" + "".join(f"a,2026-01-{day:02d},{day % 4}\n" for day in range(1, 21))


def test_the_command_needs_no_secret_key_and_reads_stdin():
    done = run("--method", "ears-c1", "--input", "-", stdin=GOOD)
    assert done.returncode == 0, done.stderr
    out = rows(done.stdout)
    assert len(out) == 13 and out[0]["date"] == "2026-01-08"
    assert list(out[0]) == ["series", "date", "count", "upperbound", "alarm"]


@pytest.mark.parametrize(
    ("text", "args", "named"),
    [
        ("series,date,count\na,2026-13-01,1\n", [], "row 2"),
        ("series,date,count\na,2026-01-01,-1\n", [], "row 2"),
        ("series,date,count\na,2026-01-01,1.5\n", [], "row 2"),
        ("series,day,count\n", [], "row 1"),
        ("series,date,count\na,2026-01-01,1\na,2026-01-02,1\na,2026-01-04,1\n", [], "series a"),
        (GOOD, ["--param", "baseline=x"], "baseline"),
        (GOOD, ["--param", "bogus=1"], "bogus"),
    ],
)
def test_bad_input_names_the_row_or_parameter(monkeypatch, text, args, named):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    with pytest.raises(CommandError, match=named):
        call_command("detect", "--method", "ears-c2", "--input", "-", *args)


def test_unknown_and_not_yet_available_methods(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(GOOD, encoding="utf-8")
    with pytest.raises(CommandError, match="unknown method"):
        call_command("detect", method="nope", input=str(source))
    with pytest.raises(CommandError, match="not available"):
        call_command("detect", method="farrington", input=str(source))
    failed = run("--method", "ears-c1", "--input", str(source), "--param", "alpha")
    assert failed.returncode != 0 and "alpha" in failed.stderr
