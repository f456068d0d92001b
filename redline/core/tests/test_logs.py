"""JSON log lines (REDLINE_LOG_FORMAT=json): one object a line, with the id of the request
being served (or of the command or job) and the signed-in user, never loading one to say so."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path

from redline.accounts.models import User
from redline.core.context import acting
from redline.core.logs import JsonFormatter

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

log = logging.getLogger("redline.tests.logs")


def as_user(request: HttpRequest) -> HttpResponse:
    log.info("served %s", request.user.get_username())
    return HttpResponse("ok")


def without_user(request: HttpRequest) -> HttpResponse:
    log.warning("served without a look at the user")
    return HttpResponse("ok")


def failing(request: HttpRequest) -> HttpResponse:
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("it failed")
    return HttpResponse("handled")


urlpatterns = [
    path("as-user", as_user),
    path("without-user", without_user),
    path("failing", failing),
]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def objects(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_logged_during_a_request_carries_its_id_and_user(client, captured):
    user = User.objects.create(username="log-reader")
    client.force_login(user)
    response = client.get("/as-user", headers={"X-Request-ID": "req-log-1"})
    assert response.status_code == 200
    [line] = objects(captured)
    assert line["request_id"] == "req-log-1"
    assert line["user_id"] == user.pk
    assert line["message"] == "served log-reader"
    assert line["level"] == "INFO"
    assert line["logger"] == "redline.tests.logs"
    assert line["process"] == os.getpid()
    assert dt.datetime.fromisoformat(line["time"]).utcoffset() == dt.timedelta(0)
    assert "exc_info" not in line


def test_each_request_its_own_id(client, captured):
    first = client.get("/as-user")
    second = client.get("/as-user", headers={"X-Request-ID": "x" * 65})  # refused: a fresh one
    ids = [line["request_id"] for line in objects(captured)]
    assert ids == [first["X-Request-ID"], second["X-Request-ID"]]
    assert ids[0] != ids[1] and "x" * 65 not in ids
    assert [line["user_id"] for line in objects(captured)] == [None, None]  # anonymous


def test_the_user_is_named_only_when_the_request_already_loaded_it(client, captured):
    client.force_login(User.objects.create(username="log-quiet"))
    client.get("/without-user", headers={"X-Request-ID": "req-log-2"})
    [line] = objects(captured)
    assert line["request_id"] == "req-log-2"
    assert line["user_id"] is None


def test_an_exception_is_written_with_its_traceback(client, captured):
    client.get("/failing", headers={"X-Request-ID": "req-log-3"})
    [line] = objects(captured)
    assert line["message"] == "it failed" and line["level"] == "ERROR"
    assert line["exc_info"].startswith("Traceback (most recent call last):")
    assert line["exc_info"].rstrip().endswith("ValueError: boom")
    assert line["request_id"] == "req-log-3"


def test_outside_a_request_the_commands_or_jobs_id(captured):
    with acting(client="cli", request_id="cli-run-7"):
        log.info("从命令行 %d", 7)
    log.info("no context")
    first, second = objects(captured)
    assert first["request_id"] == "cli-run-7" and first["message"] == "从命令行 7"
    assert "从命令行" in captured.getvalue()  # readable, not \\u-escaped
    assert first["user_id"] is None
    assert second["request_id"] is None


def _log_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('redline.probe').warning('logged %s', 'here')"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=base | {"DJANGO_SETTINGS_MODULE": "redline.settings"} | env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("env", "json_lines"),
    [
        ({"REDLINE_DEMO": "1"}, False),
        ({"REDLINE_DEMO": "1", "REDLINE_LOG_FORMAT": "json"}, True),
        ({"REDLINE_SECRET_KEY": "k" * 40}, True),
        ({"REDLINE_SECRET_KEY": "k" * 40, "REDLINE_LOG_FORMAT": "plain"}, False),
    ],
)
def test_the_log_format_setting(tmp_path, env, json_lines):
    result = _log_once(env | {"REDLINE_VAR_DIR": str(tmp_path), "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    if json_lines:
        line = json.loads(last)
        assert line["message"] == "logged here" and line["logger"] == "redline.probe"
    else:
        assert last.endswith("WARNING redline.probe: logged here"), last


def test_a_bad_log_format_stops_start_up_naming_it(tmp_path):
    result = _log_once(
        {"REDLINE_DEMO": "1", "REDLINE_VAR_DIR": str(tmp_path), "REDLINE_LOG_FORMAT": "xml"}
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: REDLINE_LOG_FORMAT must be 'plain' or 'json'" in result.stderr
