"""`redline detect` with the cusum, mpm and fixed methods (contract in docs/cli.md): their
default evaluated ranges, their parameters, and bad parameters exiting non-zero by name."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

REDLINE = Path(sys.executable).with_name("redline")


def csv_text(series: dict[str, list[tuple[dt.date, int]]]) -> str:
    lines = ["series,date,count"]
    for name, points in series.items():
        lines += [f"{name},{day.isoformat()},{count}" for day, count in points]
    return "\n".join(lines) + "\n"


def weekly(counts, first=dt.date(2021, 1, 4)):
    return [(first + dt.timedelta(weeks=i), c) for i, c in enumerate(counts)]


def daily(counts, first=dt.date(2020, 1, 1)):
    return [(first + dt.timedelta(days=i), c) for i, c in enumerate(counts)]


def monthly(counts):
    return [(dt.date(2020 + i // 12, i % 12 + 1, 1), c) for i, c in enumerate(counts)]


def detect(tmp_path, text, method, *params):
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    output = tmp_path / "out.csv"
    call_command(
        "detect",
        "--method",
        method,
        "--input",
        str(source),
        "--output",
        str(output),
        *[arg for param in params for arg in ("--param", param)],
    )
    return list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))


def test_cusum_with_a_given_m_evaluates_every_period(tmp_path):
    rows = detect(tmp_path, csv_text({"a": weekly([4, 9, 16, 1])}), "cusum", "m=4")
    assert [r["date"] for r in rows] == ["2021-01-04", "2021-01-11", "2021-01-18", "2021-01-25"]
    assert [r["count"] for r in rows] == ["4", "9", "16", "1"]
    assert [r["alarm"] for r in rows] == ["0", "0", "1", "1"]
    assert [float(r["upperbound"]) for r in rows] == [11, 11, 8, 0]


def test_cusum_default_range_starts_after_one_year(tmp_path):
    counts = [3] * 52 + [3, 12, 12, 3]
    text = csv_text({"w": weekly(counts), "m": monthly([2] * 12 + [2, 9])})
    rows = detect(tmp_path, text, "cusum")
    weeks = [r for r in rows if r["series"] == "w"]
    months = [r for r in rows if r["series"] == "m"]
    assert len(weeks) == 4 and weeks[0]["date"] == "2022-01-03"  # the 53rd week
    assert [r["alarm"] for r in weeks] == ["0", "1", "1", "1"]
    assert [r["date"] for r in months] == ["2021-01-01", "2021-02-01"]  # the 13th month on


def test_cusum_parameters(tmp_path):
    text = csv_text({"a": weekly([3, 5, 2, 4, 6, 3, 4, 5, 2, 3, 4, 8, 12, 15, 9, 4])})
    rows = detect(tmp_path, text, "cusum", "range=9:12", "trans=rossi", "k=0.5", "h=4")
    assert [r["date"] for r in rows] == [
        (dt.date(2021, 1, 4) + dt.timedelta(weeks=w)).isoformat() for w in (8, 9, 10, 11)
    ]
    assert detect(tmp_path, text, "cusum", "range=15:")[0]["count"] == "9"
    glm = detect(tmp_path, text, "cusum", "range=9:16", "m=glm", "trans=pearsonNegBin")
    assert len(glm) == 8
    negbin = detect(tmp_path, text, "cusum", "range=9:16", "trans=anscombeNegBin", "alpha=2")
    assert all(r["alarm"] == "0" for r in negbin)


def test_cusum_range_past_a_series_end_names_the_series(tmp_path):
    text = csv_text({"long": weekly([1] * 20), "short": weekly([1] * 10)})
    with pytest.raises(CommandError, match="series short: range"):
        detect(tmp_path, text, "cusum", "range=5:20")


def test_mpm_daily(tmp_path):
    counts = [1] * ((dt.date(2023, 1, 25) - dt.date(2020, 1, 1)).days + 1)
    rows = detect(tmp_path, csv_text({"a": daily(counts)}), "mpm")
    # the first day with a full baseline: 2023-01-21 (three years plus three weeks of data)
    assert rows[0]["date"] == "2023-01-21"
    assert rows[-1]["date"] == "2023-01-25"
    assert {r["upperbound"] for r in rows} == {"7.0"}  # every 7-day sum is 7
    assert {r["alarm"] for r in rows} == {"0"}


def test_mpm_daily_signal_and_percentile(tmp_path):
    counts = [1] * ((dt.date(2023, 1, 25) - dt.date(2020, 1, 1)).days + 1)
    counts[-1] = 2  # the last 7-day sum is 8 > 7
    rows = detect(tmp_path, csv_text({"a": daily(counts)}), "mpm", "percentile=90")
    assert [r["alarm"] for r in rows] == ["0", "0", "0", "0", "1"]
    assert rows[-1]["count"] == "2"


def test_mpm_weekly(tmp_path):
    counts = [2] * (52 * 3 + 2) + [2, 3]
    rows = detect(tmp_path, csv_text({"a": weekly(counts)}), "mpm", "years=3", "blocks=2")
    assert len(rows) == 2
    assert [r["alarm"] for r in rows] == ["0", "1"]
    assert [r["upperbound"] for r in rows] == ["2.0", "2.0"]
    two = detect(tmp_path, csv_text({"a": weekly(counts)}), "mpm", "window=14", "blocks=1")
    assert two[-1]["upperbound"] == "4.0"


def test_mpm_refuses_monthly_data_and_short_series(tmp_path):
    with pytest.raises(CommandError, match="series a: mpm needs daily or weekly data"):
        detect(tmp_path, csv_text({"a": monthly([1] * 60)}), "mpm")
    with pytest.raises(CommandError, match="series a: too short"):
        detect(tmp_path, csv_text({"a": daily([1] * 400)}), "mpm")
    with pytest.raises(CommandError, match="series a: window"):
        detect(tmp_path, csv_text({"a": weekly([1] * 200)}), "mpm", "window=10")


def test_fixed(tmp_path):
    text = csv_text({"a": daily([0, 1, 0, 2, 5])})
    rows = detect(tmp_path, text, "fixed")
    assert [r["alarm"] for r in rows] == ["0", "1", "0", "1", "1"]
    assert {r["upperbound"] for r in rows} == {"0.0"}
    rows = detect(tmp_path, text, "fixed", "threshold=2")
    assert [r["alarm"] for r in rows] == ["0", "0", "0", "1", "1"]
    assert {r["upperbound"] for r in rows} == {"1.0"}


BAD = [
    ("cusum", "k=-1"),
    ("cusum", "k=x"),
    ("cusum", "h=0"),
    ("cusum", "m=0"),
    ("cusum", "m=mean"),
    ("cusum", "trans=log"),
    ("cusum", "alpha=-0.1"),
    ("cusum", "range=5"),
    ("cusum", "range=0:10"),
    ("cusum", "range=9:3"),
    ("cusum", "reset=TRUE"),  # 1.25.0's option, not in 1.20
    ("mpm", "window=0"),
    ("mpm", "window=7.5"),
    ("mpm", "years=0"),
    ("mpm", "blocks=-1"),
    ("mpm", "percentile=101"),
    ("mpm", "percentile=nan"),
    ("fixed", "threshold=0"),
    ("fixed", "threshold=1.5"),
    ("fixed", "baseline=7"),
]


@pytest.mark.parametrize(("method", "param"), BAD)
def test_bad_parameters_are_named(tmp_path, method, param):
    name = param.partition("=")[0]
    with pytest.raises(CommandError, match=f"--param {name}:"):
        detect(tmp_path, csv_text({"a": weekly([1] * 60)}), method, param)
    assert not (tmp_path / "out.csv").exists()


def run(*args, stdin=""):
    env = {k: v for k, v in os.environ.items() if k != "REDLINE_SECRET_KEY"}
    return subprocess.run(
        [str(REDLINE), "detect", *args], input=stdin, capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize(
    ("method", "param"),
    [("cusum", "trans=log"), ("mpm", "percentile=150"), ("fixed", "threshold=0")],
)
def test_the_command_exits_non_zero_naming_the_parameter(method, param):
    done = run(
        "--method", method, "--input", "-", "--param", param, stdin=csv_text({"a": weekly([1] * 5)})
    )
    assert done.returncode != 0
    assert f"--param {param.partition('=')[0]}" in done.stderr
    assert done.stdout == ""


def test_the_command_runs_fixed_from_stdin():
    done = run("--method", "fixed", "--input", "-", stdin=csv_text({"a": weekly([0, 4])}))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["a,2021-01-04,0,0.0,0", "a,2021-01-11,4,0.0,1"]
