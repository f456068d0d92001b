"""Configuration only through REDLINE_* variables, with safe defaults; the `redline` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REDLINE = str(Path(sys.executable).with_name("redline"))


def run(args, env_overrides, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    env.update(env_overrides)
    return subprocess.run(
        [REDLINE, *args], env=env, capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_missing_secret_key_is_a_clear_startup_error(tmp_path):
    result = run(["check"], {"REDLINE_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "REDLINE_SECRET_KEY is not set" in result.stderr


def test_bad_boolean_names_the_variable(tmp_path):
    result = run(["check"], {"REDLINE_SECRET_KEY": "x" * 40, "REDLINE_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "REDLINE_DEBUG" in result.stderr


def test_debug_is_off_unless_asked(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = run(
        ["shell", "-v", "0", "-c", code],
        {"REDLINE_SECRET_KEY": "x" * 40, "REDLINE_VAR_DIR": str(tmp_path)},
    )
    assert result.stdout.strip() == "False", result.stderr


def test_demo_mode_generates_and_keeps_its_own_key(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"REDLINE_DEMO": "1", "REDLINE_VAR_DIR": str(tmp_path)}
    first = run(["shell", "-v", "0", "-c", code], env).stdout.strip()
    second = run(["shell", "-v", "0", "-c", code], env).stdout.strip()
    assert first and first == second == (tmp_path / "demo-secret-key").read_text().strip()


def test_migrate_and_demo_from_the_cli_are_repeatable(tmp_path):
    env = {"REDLINE_DEMO": "1", "REDLINE_VAR_DIR": str(tmp_path)}
    assert run(["migrate", "--no-input", "-v0"], env).returncode == 0
    first = run(["demo", "--if-empty", "--seed", "3"], env)
    assert first.returncode == 0, first.stderr
    logins = json.loads((tmp_path / "demo-logins.json").read_text())
    assert {"username", "password", "organisation", "level", "roles"} <= set(logins[0])
    again = run(["demo", "--if-empty"], env)
    assert again.returncode == 0 and "not rebuilt" in again.stdout
    refused = run(["demo"], env)
    assert refused.returncode != 0 and "empty" in refused.stderr
    shown = run(["demo", "--print-logins"], env)
    assert "city-admin" in shown.stdout
    # changes made from the CLI are audited with client "cli"
    code = (
        "from redline.core.models import ChangeLog;"
        "print(ChangeLog.objects.filter(client='cli').exists())"
    )
    assert run(["shell", "-v", "0", "-c", code], env).stdout.strip() == "True"


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
@pytest.mark.django_db
def test_openapi_and_docs_are_served(client, path):
    from redline.accounts.models import User

    client.force_login(User.objects.create_user("reader", password="x"))
    response = client.get(path)
    assert response.status_code == 200
    if path.endswith(".json"):
        spec = response.json()
        assert "/api/v1/enterprises" in spec["paths"]
        assert "/api/v1/enterprises/{enterprise_id}/chain" in spec["paths"]
