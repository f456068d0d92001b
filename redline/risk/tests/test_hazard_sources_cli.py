"""The `redline hazard-sources grade` contract, through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REDLINE = str(Path(sys.executable).with_name("redline"))
EXAMPLE = {
    "units": [
        {
            "id": "T-01",
            "kind": "storage",
            "people_exposed": 60,
            "substances": [
                {"cas": "7446-09-5", "tonnes": 200},
                {"name": "甲醇", "category": "W5.3", "tonnes": 900},
                {"category": "J1", "tonnes": 3},
            ],
        },
        {
            "id": "T-02",
            "kind": "production",
            "people_exposed": 0,
            "substances": [{"name": "甲苯", "tonnes": 10}],
        },
    ]
}


def grade(tmp_path, payload, *extra):
    source = tmp_path / "units.json"
    source.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    # no secret key, no database: the command only computes
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    return subprocess.run(
        [REDLINE, "hazard-sources", "grade", "--input", str(source), *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_contract_example_to_a_file(tmp_path):
    out = tmp_path / "result.json"
    result = grade(tmp_path, EXAMPLE, "--output", str(out))
    assert result.returncode == 0, result.stderr
    units = json.loads(out.read_text(encoding="utf-8"))["units"]
    assert [u["id"] for u in units] == ["T-01", "T-02"]
    first = units[0]
    assert (
        first["ratio_sum"],
        first["is_major"],
        first["alpha"],
        first["r_value"],
        first["grade"],
    ) == (
        12.4,
        True,
        1.5,
        36.3,
        3,
    )
    assert first["substances"][0]["source"] == "GB18218-2018 Table 1 row 4"
    second = units[1]
    assert second["is_major"] is False and second["r_value"] is None and second["grade"] is None


def test_stdout_when_no_output(tmp_path):
    result = grade(tmp_path, EXAMPLE)
    assert result.returncode == 0
    assert json.loads(result.stdout)["units"][0]["grade"] == 3


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (
            lambda p: p["units"][1]["substances"][0].update(name="未知物"),
            "unit T-02: substances[0].name",
        ),
        (
            lambda p: p["units"][0]["substances"][0].update(cas="7732-18-5"),
            "unit T-01: substances[0].cas",
        ),
        (
            lambda p: p["units"][0]["substances"][1].update(tonnes=-5),
            "unit T-01: substances[1].tonnes",
        ),
        (lambda p: p["units"][0].pop("people_exposed"), "unit T-01: people_exposed"),
        (
            lambda p: p["units"][0]["substances"][2].update(category="Z9"),
            "unit T-01: substances[2].category",
        ),
    ],
)
def test_bad_input_exits_non_zero_naming_unit_and_field_and_writes_nothing(tmp_path, mutate, words):
    payload = json.loads(json.dumps(EXAMPLE))
    mutate(payload)
    out = tmp_path / "result.json"
    result = grade(tmp_path, payload, "--output", str(out))
    assert result.returncode != 0
    assert words in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".grade-*"))


def test_unreadable_and_malformed_input(tmp_path):
    (tmp_path / "units.json").write_text("{not json", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    result = subprocess.run(
        [REDLINE, "hazard-sources", "grade", "--input", str(tmp_path / "units.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0 and "not valid JSON" in result.stderr


@pytest.mark.django_db
def test_the_api_gives_the_same_answer_as_the_cli(client, tmp_path):
    from redline.accounts.models import User

    client.force_login(User.objects.create_user("calc", password="x", roles=["viewer"]))
    response = client.post("/api/v1/hazard-sources/grade", EXAMPLE, content_type="application/json")
    assert response.status_code == 200, response.content
    out = tmp_path / "result.json"
    grade(tmp_path, EXAMPLE, "--output", str(out))
    assert response.json() == json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_the_api_names_unit_and_field_on_bad_input(client):
    from redline.accounts.models import User

    client.force_login(User.objects.create_user("calc", password="x", roles=["viewer"]))
    payload = json.loads(json.dumps(EXAMPLE))
    payload["units"][0]["substances"][0]["tonnes"] = -1
    response = client.post(
        "/api/v1/hazard-sources/grade",
        payload,
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["T-01.substances[0].tonnes"]
