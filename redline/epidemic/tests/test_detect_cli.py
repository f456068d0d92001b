"""`redline detect` (contract in docs/cli.md) on R 'surveillance' 1.20.3's reference files:
every file is reproduced (identical periods and alarms, upper bounds within a relative 1e-6);
bad input exits non-zero naming the row/parameter."""

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

from redline.conftest import SHARED, shared_path

DATASETS = ["salmNewport", "hepatitisA", "salmonella.agona", "shadar", "influMen", "rotaBB"]
REDLINE = Path(sys.executable).with_name("redline")
NOUFAILY = [
    "noPeriods=10",
    "b=4",
    "w=5",
    "weightsThreshold=2.58",
    "pastWeeksNotIncluded=26",
    "pThresholdTrend=1",
    "alpha=0.1",
]
# The `redline detect` equivalent of each reference configuration (the reference README).
CONFIGS: dict[str, tuple[str, list[str]]] = {
    "ears-c1": ("ears-c1", []),
    "ears-c2": ("ears-c2", []),
    "ears-c3": ("ears-c3", []),
    "farrington-1996": ("farrington", ["b=5", "w=3", "alpha=0.05"]),
    "farrington-flexible-default": ("farrington-flexible", []),
    "farrington-flexible-classic": (
        "farrington-flexible",
        [
            "noPeriods=1",
            "b=4",
            "w=3",
            "weightsThreshold=1",
            "pastWeeksNotIncluded=3",
            "pThresholdTrend=0.05",
            "thresholdMethod=delta",
            "alpha=0.1",
        ],
    ),
    "farrington-flexible-noufaily": (
        "farrington-flexible",
        [*NOUFAILY, "thresholdMethod=nbPlugin"],
    ),
    "farrington-flexible-muan": ("farrington-flexible", [*NOUFAILY, "thresholdMethod=muan"]),
}
REFERENCE = SHARED / "reference" / "surveillance"


def reference_files() -> list[tuple[str, str]]:
    """Every (data set, configuration) file there is; without ../shared, the full cross
    product (each then skips, or fails in CI, through shared_path)."""
    if not REFERENCE.exists():
        return [(d, c) for d in DATASETS for c in CONFIGS]
    return sorted(
        (path.parent.name, path.stem)
        for path in REFERENCE.glob("*/*.csv")
        if path.name != "input.csv"
    )


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_every_reference_configuration_has_its_command():
    shared_path("reference", "surveillance")
    assert {config for _, config in reference_files()} <= set(CONFIGS)
    assert {dataset for dataset, _ in reference_files()} == set(DATASETS)


@pytest.mark.parametrize(("dataset", "config"), reference_files())
def test_reproduces_the_reference(tmp_path, dataset, config):
    folder = shared_path("reference", "surveillance", dataset)
    shared_path("reference", "surveillance", dataset, f"{config}.csv")
    method, params = CONFIGS[config]
    output = tmp_path / "result.csv"
    call_command(
        "detect",
        "--method",
        method,
        "--input",
        str(folder / "input.csv"),
        "--output",
        str(output),
        *[arg for param in params for arg in ("--param", param)],
    )
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


def test_unknown_methods_and_parameters(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(GOOD, encoding="utf-8")
    with pytest.raises(CommandError, match="unknown method"):
        call_command("detect", method="nope", input=str(source))
    failed = run("--method", "ears-c1", "--input", str(source), "--param", "alpha")
    assert failed.returncode != 0 and "alpha" in failed.stderr
