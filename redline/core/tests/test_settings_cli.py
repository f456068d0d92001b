"""Configuration only through REDLINE_* variables, with safe defaults; the `redline` CLI."""

from __future__ import annotations

import json
import os
import socket
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


def _redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


CACHE_ROUND_TRIP = (
    "from django.conf import settings; from django.core.cache import cache; "
    "cache.set('settings-test', {'n': 1}, 30); "
    "print(settings.CACHES['default']['BACKEND'].rsplit('.', 1)[1], cache.get('settings-test')); "
    "cache.delete('settings-test')"
)


def test_the_cache_is_per_process_memory_by_default(tmp_path):
    env = {"REDLINE_SECRET_KEY": "x" * 40, "REDLINE_VAR_DIR": str(tmp_path)}
    result = run(["shell", "-v", "0", "-c", CACHE_ROUND_TRIP], env)
    assert result.stdout.strip() == "LocMemCache {'n': 1}", result.stderr


def test_the_cache_is_redis_when_its_address_is_given(tmp_path):
    """The scaled configuration: one cache shared by every process, here a real Redis (.ci/run
    starts it; elsewhere the test is skipped when none is running)."""
    if not _redis_running():
        if os.environ.get("REDLINE_REQUIRE_SERVICES"):
            pytest.fail("Redis is not running at 127.0.0.1:6379")
        pytest.skip("Redis is not running at 127.0.0.1:6379 (.ci/run starts it)")
    env = {
        "REDLINE_SECRET_KEY": "x" * 40,
        "REDLINE_VAR_DIR": str(tmp_path),
        "REDLINE_CACHE_URL": "redis://127.0.0.1:6379/15",
    }
    result = run(["shell", "-v", "0", "-c", CACHE_ROUND_TRIP], env)
    assert result.stdout.strip() == "RedisCache {'n': 1}", result.stderr
    # A second process reads what the first wrote: the cache is shared.
    write = "from django.core.cache import cache; cache.set('settings-shared', 42, 30)"
    read = (
        "from django.core.cache import cache; print(cache.get('settings-shared')); "
        "cache.delete('settings-shared')"
    )
    assert run(["shell", "-v", "0", "-c", write], env).returncode == 0
    assert run(["shell", "-v", "0", "-c", read], env).stdout.strip() == "42"


def test_a_cache_address_that_is_not_redis_names_the_variable(tmp_path):
    env = {
        "REDLINE_SECRET_KEY": "x" * 40,
        "REDLINE_VAR_DIR": str(tmp_path),
        "REDLINE_CACHE_URL": "memcached://127.0.0.1:11211",
    }
    result = run(["check"], env)
    assert result.returncode != 0 and "REDLINE_CACHE_URL" in result.stderr


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


def test_jobs_setting_is_checked_at_startup(tmp_path):
    env = {"REDLINE_SECRET_KEY": "x" * 40, "REDLINE_VAR_DIR": str(tmp_path)}
    result = run(["check"], env | {"REDLINE_JOBS": "thread"})
    assert result.returncode != 0
    assert "REDLINE_JOBS must be 'local'" in result.stderr
    code = "from django.conf import settings; print(settings.REDLINE_JOBS)"
    for given, meant in (("inprocess", "local"), ("OFF", "off"), ("", "local")):
        shown = run(["shell", "-v", "0", "-c", code], env | {"REDLINE_JOBS": given})
        assert shown.stdout.strip() == meant, shown.stderr
