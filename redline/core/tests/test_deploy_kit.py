"""The operator's kit (deploy/ and docs/operations.md) against the code: every setting it names
is one Redline reads and documents, every `redline` command it runs exists, the compose file
and the systemd units have the shape their tools need, and nginx lets through what Redline
accepts. The kit's files are never started here (no Docker engine, no systemd as process
manager): these tests keep them from drifting away from the code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "redline"
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "redline.env.example"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
COMPOSE = DEPLOY / "compose.yaml"
NGINX = DEPLOY / "nginx" / "redline.conf"
OPERATIONS = ROOT / "docs" / "operations.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"

KIT = [ENV_EXAMPLE, *UNITS, COMPOSE, NGINX, DEPLOY / "Dockerfile", DEPLOY / "README.md"]

# A setting's name; PROMETHEUS_MULTIPROC_DIR is prometheus_client's, read by Redline too.
SETTING = re.compile(r"\b(REDLINE_[A-Z0-9_]*[A-Z0-9]|PROMETHEUS_MULTIPROC_DIR)\b")
# Where the code reads one: redline.env's helpers or os.environ.
READ = re.compile(
    r"(?:env_(?:str|bool|int|list)|environ\.get|os\.getenv)\(\s*"
    r"\"((?:REDLINE|PROMETHEUS)_[A-Z0-9_]+)\""
)
# `redline <command>`: the word redline (a path may lead to it) followed by a command name.
COMMAND = re.compile(r"(?<![\w.-])redline[ \t]+([a-z][a-z0-9_-]*)")

APP_SERVICES = {"migrate": "migrate", "web": "serve", "worker": "worker", "beat": "beat"}
UNIT_COMMANDS = {
    "redline-web.service": "serve",
    "redline-worker.service": "worker",
    "redline-beat.service": "beat",
}


def read_by_code() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts:
            continue
        names.update(READ.findall(path.read_text(encoding="utf-8")))
    return names


def documented() -> set[str]:
    return set(SETTING.findall(CONFIGURATION.read_text(encoding="utf-8")))


def kit_settings() -> dict[str, set[str]]:
    """Each setting the kit names, with the files that name it."""
    found: dict[str, set[str]] = {}
    for path in [*KIT, OPERATIONS]:
        for name in SETTING.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(path.name)
    return found


def env_file(path: Path, *, commented: bool) -> dict[str, str]:
    """The NAME=value lines of an env file (with `commented`, also the `#NAME=value` lines
    that show a default), single quotes removed as systemd and compose remove them."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(#?)([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match is None or (match.group(1) and not commented):
            continue
        value = match.group(3)
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        values[match.group(2)] = value
    return values


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def unit_sections(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    """The section names in order, and each key's values (a key may repeat)."""
    sections: list[str] = []
    keys: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if header := re.fullmatch(r"\[(\w+)\]", line):
            sections.append(header.group(1))
            continue
        key, equals, value = line.partition("=")
        assert equals, f"{path.name}: not a key=value line: {raw!r}"
        keys.setdefault(f"{sections[-1]}.{key.strip()}", []).append(value.strip())
    return sections, keys


def test_every_setting_of_the_kit_is_read_by_the_code_and_documented():
    names = kit_settings()
    # The kit does name the scaled configuration's settings (the scan finds them).
    assert {"REDLINE_BROKER_URL", "REDLINE_QUEUE", "REDLINE_SECRET_KEY"} <= set(names)
    unread = {n: sorted(f) for n, f in names.items() if n not in read_by_code()}
    assert not unread, f"named by the kit, read by no code: {unread}"
    undocumented = {n: sorted(f) for n, f in names.items() if n not in documented()}
    assert not undocumented, f"named by the kit, missing from docs/configuration.md: {undocumented}"


def test_the_env_example_sets_the_scaled_configuration():
    values = env_file(ENV_EXAMPLE, commented=False)
    for name in (
        "REDLINE_SECRET_KEY",
        "REDLINE_ALLOWED_HOSTS",
        "REDLINE_DATABASE_URL",
        "REDLINE_CACHE_URL",
        "REDLINE_BROKER_URL",
        "REDLINE_QUEUE",
        "REDLINE_VAR_DIR",
        "REDLINE_BEHIND_TLS_PROXY",
    ):
        assert values.get(name), f"{name} is not set in {ENV_EXAMPLE.name}"
    assert values["REDLINE_DATABASE_URL"].startswith("postgres://")
    # It says how to make a secret key.
    assert "secrets.token_urlsafe" in ENV_EXAMPLE.read_text(encoding="utf-8")
    # Never the demo or debug mode, and no per-process setting every process would need.
    assert "REDLINE_DEMO" not in values and "REDLINE_DEBUG" not in values
    assert "PROMETHEUS_MULTIPROC_DIR" not in values


def test_redline_starts_with_every_value_of_the_env_example(tmp_path):
    """Every value in the file, the shown defaults included, passes the settings' checks."""
    values = env_file(ENV_EXAMPLE, commented=True)
    values["REDLINE_VAR_DIR"] = str(tmp_path)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REDLINE_")}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    environment.update(values, DJANGO_SETTINGS_MODULE="redline.settings")
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.REDLINE_QUEUE, s.REDLINE_BROKER_URL, s.CACHES['default']['BACKEND'], "
        "s.DATABASES['default']['ENGINE'], s.SECURE_PROXY_SSL_HEADER[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [
        values["REDLINE_QUEUE"],
        values["REDLINE_BROKER_URL"],
        "django.core.cache.backends.redis.RedisCache",
        "django.db.backends.postgresql",
        "HTTP_X_FORWARDED_PROTO",
    ]


def test_compose_has_the_five_services_each_running_a_real_command():
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    commands = get_commands()
    for name, expected in APP_SERVICES.items():
        service = services[name]
        command = service["command"]
        assert command[0] == "redline" and command[1] == expected, (name, command)
        assert command[1] in commands
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["env_file"] == "redline.env"
    # The migrations are applied before the app services start.
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert {"pgdata", "redisdata", "media"} <= set(compose()["volumes"])
    # Beat is one process; the web has the directory its metrics setting names.
    assert "deploy" not in services["beat"] and "scale" not in services["beat"]
    web_env = services["web"]["environment"]
    assert web_env["PROMETHEUS_MULTIPROC_DIR"] in services["web"]["tmpfs"]


def test_the_dockerfile_installs_the_project_and_the_front_end():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "npm ci" in text
    assert re.search(r"pip install \.", text)
    assert "COPY package.json package-lock.json" in text
    assert "USER redline" in text


@pytest.mark.parametrize("path", UNITS, ids=[p.name for p in UNITS])
def test_each_systemd_unit_runs_a_real_command_hardened(path):
    sections, keys = unit_sections(path)
    assert sections == ["Unit", "Service", "Install"]
    (start,) = keys["Service.ExecStart"]
    program, command, *_ = start.split()
    assert program.endswith("/bin/redline")
    assert command == UNIT_COMMANDS[path.name]
    assert command in get_commands()
    assert keys["Service.EnvironmentFile"] == ["/etc/redline/redline.env"]
    assert keys["Service.User"] == ["redline"]
    assert keys["Service.Restart"] == ["on-failure"]
    assert keys["Service.NoNewPrivileges"] == ["yes"]
    assert keys["Service.ProtectSystem"] == ["strict"]
    assert keys["Service.PrivateTmp"] == ["yes"]
    var_dir = env_file(ENV_EXAMPLE, commented=False)["REDLINE_VAR_DIR"]
    assert keys["Service.ReadWritePaths"] == [var_dir]
    assert keys["Install.WantedBy"] == ["multi-user.target"]


def test_the_worker_unit_lets_a_running_task_finish_on_stop():
    _sections, keys = unit_sections(DEPLOY / "systemd" / "redline-worker.service")
    assert keys["Service.KillMode"] == ["mixed"]
    (timeout,) = keys["Service.TimeoutStopSec"]
    minutes = re.fullmatch(r"(\d+)min", timeout)
    assert minutes and int(minutes.group(1)) >= 10, timeout
    assert "--concurrency" in keys["Service.ExecStart"][0]


def test_every_redline_command_the_kit_and_the_guide_name_exists():
    commands = get_commands()
    named: dict[str, set[str]] = {}
    for path in [*KIT, OPERATIONS]:
        for command in COMMAND.findall(path.read_text(encoding="utf-8")):
            named.setdefault(command, set()).add(path.name)
    # The scan finds what the guide is about.
    assert {"serve", "worker", "beat", "jobs", "migrate", "backup", "restore", "check"} <= set(
        named
    )
    unknown = {c: sorted(files) for c, files in named.items() if c not in commands}
    assert not unknown, f"not `redline` commands: {unknown}"


def test_nginx_lets_through_what_redline_accepts_and_serves_no_media():
    text = NGINX.read_text(encoding="utf-8")
    values = env_file(ENV_EXAMPLE, commented=False)
    upload_mb = int(values["REDLINE_UPLOAD_MAX_MB"])
    # Redline's largest body (settings: a file in base64 plus the fields) fits nginx's limit,
    # with at most a few MB more (beyond it, Redline answers with its own message).
    redline_max = (upload_mb * 4 // 3 + 1) * 1024 * 1024
    (limit,) = re.findall(r"client_max_body_size\s+(\d+)m;", text)
    assert redline_max <= int(limit) * 1024 * 1024 <= redline_max + 4 * 1024 * 1024
    # Static files from STATIC_ROOT (REDLINE_VAR_DIR/static); nothing from media/.
    assert f"alias {values['REDLINE_VAR_DIR']}/static/;" in text
    assert "/media" not in re.sub(r"#.*", "", text)
    # HTTP goes to HTTPS; HSTS is left to Redline; the proxy says what the client used.
    assert "return 301 https://" in text
    assert "Strict-Transport-Security" not in re.sub(r"#.*", "", text)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "proxy_pass http://redline_web;" in text and "server 127.0.0.1:8000;" in text
    # The monitoring addresses are open to the monitoring network only.
    for probe in ("/metrics", "/readyz"):
        block = re.search(r"location = " + re.escape(probe) + r" \{(.*?)\}", text, re.S)
        assert block and "deny all;" in block.group(1) and "allow " in block.group(1), probe


def test_the_readme_links_the_operations_guide():
    assert "docs/operations.md" in (ROOT / "README.md").read_text(encoding="utf-8")
