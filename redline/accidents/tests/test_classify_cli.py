"""The `redline accidents classify` contract, through the real command line (no database,
no secret key), at every boundary of the issue's list and with bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REDLINE = str(Path(sys.executable).with_name("redline"))

# (id, deaths, serious injuries, loss as JSON text, level, deciding)
BOUNDARIES = [
    ("D2", 2, 0, "0", "general", ["deaths", "serious_injuries", "direct_loss_cny"]),
    ("D3", 3, 0, "0", "larger", ["deaths"]),
    ("D9", 9, 0, "0", "larger", ["deaths"]),
    ("D10", 10, 0, "0", "serious", ["deaths"]),
    ("D29", 29, 0, "0", "serious", ["deaths"]),
    ("D30", 30, 0, "0", "particularly_serious", ["deaths"]),
    ("S9", 0, 9, "0", "general", ["deaths", "serious_injuries", "direct_loss_cny"]),
    ("S10", 0, 10, "0", "larger", ["serious_injuries"]),
    ("S49", 0, 49, "0", "larger", ["serious_injuries"]),
    ("S50", 0, 50, "0", "serious", ["serious_injuries"]),
    ("S99", 0, 99, "0", "serious", ["serious_injuries"]),
    ("S100", 0, 100, "0", "particularly_serious", ["serious_injuries"]),
    ("L1", 0, 0, "9999999.99", "general", ["deaths", "serious_injuries", "direct_loss_cny"]),
    ("L2", 0, 0, "10000000", "larger", ["direct_loss_cny"]),
    ("L3", 0, 0, "49999999.99", "larger", ["direct_loss_cny"]),
    ("L4", 0, 0, "50000000", "serious", ["direct_loss_cny"]),
    ("L5", 0, 0, "99999999.99", "serious", ["direct_loss_cny"]),
    ("L6", 0, 0, "100000000.00", "particularly_serious", ["direct_loss_cny"]),
]


def accident_json(ident, deaths, injuries, loss, date="2026-03-02"):
    return (
        f'{{"id": "{ident}", "date": "{date}", "deaths": {deaths}, '
        f'"serious_injuries": {injuries}, "direct_loss_cny": {loss}}}'
    )


def run(tmp_path, text, *extra):
    source = tmp_path / "accidents.json"
    source.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    return subprocess.run(
        [REDLINE, "accidents", "classify", "--input", str(source), *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_every_boundary_in_order_to_a_file(tmp_path):
    text = '{"accidents": [' + ", ".join(accident_json(*b[:4]) for b in BOUNDARIES) + "]}"
    out = tmp_path / "levels.json"
    result = run(tmp_path, text, "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    got = json.loads(out.read_text(encoding="utf-8"))
    assert got == {"accidents": [{"id": b[0], "level": b[4], "deciding": b[5]} for b in BOUNDARIES]}


def test_issue_example_to_stdout(tmp_path):
    text = json.dumps(
        {
            "accidents": [
                {
                    "id": "A1",
                    "date": "2026-03-02",
                    "deaths": 2,
                    "serious_injuries": 9,
                    "direct_loss_cny": 9999999.99,
                }
            ]
        }
    )
    result = run(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accidents"] == [
        {
            "id": "A1",
            "level": "general",
            "deciding": ["deaths", "serious_injuries", "direct_loss_cny"],
        }
    ]


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        (accident_json("B1", -1, 0, "0"), ["B1", "deaths"]),
        (accident_json("B1", "2.0", 0, "0"), ["B1", "deaths"]),
        (accident_json("B1", "true", 0, "0"), ["B1", "deaths"]),
        (accident_json("B1", 0, "3.5", "0"), ["B1", "serious_injuries"]),
        (accident_json("B1", 0, 0, "-5"), ["B1", "direct_loss_cny"]),
        (accident_json("B1", 0, 0, "0", date="2026-02-30"), ["B1", "date"]),
        (
            '{"id": "B1", "date": "2026-03-02", "deaths": 0, "serious_injuries": 0}',
            ["B1", "direct_loss_cny"],
        ),
        ("7", ["#1"]),
        (
            '{"date": "2026-03-02", "deaths": 0, "serious_injuries": 0, "direct_loss_cny": 0}',
            ["#1", "id"],
        ),
    ],
)
def test_bad_input_names_accident_and_field_and_writes_nothing(tmp_path, bad, named):
    text = '{"accidents": [' + accident_json("OK", 0, 0, "0") + ", " + bad + "]}"
    out = tmp_path / "levels.json"
    result = run(tmp_path, text, "--output", str(out))
    assert result.returncode != 0
    for word in named:
        assert word in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "accidents.json"]


def test_not_json_and_not_an_object(tmp_path):
    result = run(tmp_path, "{nope")
    assert result.returncode != 0 and "not valid JSON" in result.stderr
    result = run(tmp_path, "[]")
    assert result.returncode != 0 and "accidents" in result.stderr
    assert result.stdout == ""
