"""The scaled configuration for real, for the tests: a database of its own (a SQLite file, or
a scratch PostgreSQL database when the suite runs on PostgreSQL), the Redis on 127.0.0.1:6379
as the broker under a queue name of its own, and `redline worker` / `redline beat` /
`redline jobs` run as the processes an operator runs.

A database is built once (`redline migrate`, then `build_outbreaks` through `redline
shell`) and copied for each scenario (a file copy; PostgreSQL's CREATE DATABASE ...
TEMPLATE), so that two scenarios start from exactly the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

BROKER = "redis://127.0.0.1:6379/0"
# The outbreak day; the scheduled run for it happens the next morning.
DAY = dt.date(2026, 3, 10)
AT = "2026-03-11T07:00:00+08:00"


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def require_redis() -> None:
    if not redis_answers():
        message = "Redis does not answer on 127.0.0.1:6379 (the scaled configuration's broker)"
        if os.environ.get("REDLINE_REQUIRE_SERVICES"):  # CI: never skipped
            pytest.fail(message)
        pytest.skip(message)


def on_postgresql() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


class Database:
    """One scenario's database: its URL, and how to copy it for another scenario."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.name = name
        if on_postgresql():
            self.url = f"postgres://postgres@127.0.0.1:5432/{name}"
        else:
            self.url = f"sqlite:///{root / (name + '.sqlite3')}"

    def create_empty(self) -> None:
        if on_postgresql():
            _pg(f'CREATE DATABASE "{self.name}"')

    def copy(self, name: str) -> Database:
        other = Database(self.root, name)
        if on_postgresql():
            _pg(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        else:
            shutil.copyfile(self.root / f"{self.name}.sqlite3", self.root / f"{name}.sqlite3")
        return other

    def drop(self) -> None:
        if on_postgresql():
            _pg(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _pg(statement: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(statement)  # type: ignore[arg-type]


class Site:
    """A scaled installation: environment, commands, worker and beat processes."""

    def __init__(self, root: Path, database: Database, *, queue: str | None = None) -> None:
        self.root = root
        self.database = database
        self.queue = queue or f"test-{uuid.uuid4().hex[:10]}"
        self.processes: list[Process] = []

    def env(self, *, broker: bool = True, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
        env.update(
            REDLINE_DEMO="1",
            REDLINE_SECRET_KEY="tests-only-not-a-secret-scaled",
            REDLINE_VAR_DIR=str(self.root),
            REDLINE_DATABASE_URL=self.database.url,
            REDLINE_QUEUE=self.queue,
            REDLINE_BROKER_VISIBILITY_TIMEOUT="5",
            PYTHONUNBUFFERED="1",
        )
        if broker:
            env["REDLINE_BROKER_URL"] = BROKER
        env.update(extra)
        return env

    def redline(
        self, *args: str, broker: bool = True, check: bool = True, timeout: float = 300, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "redline.cli", *args],
            env=self.env(broker=broker, **env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    def python(self, code: str, *, broker: bool = True) -> Any:
        """Run `code` in `redline shell` and return what it printed last, as JSON."""
        result = self.redline("shell", "-v", "0", "-c", code, broker=broker)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start(self, *argv: str, name: str, env: dict[str, str] | None = None) -> Process:
        environment = self.env(**(env or {}))
        process = Process(argv, environment, name=name, log=self.root / f"{name}.log")
        self.processes.append(process)
        return process

    def worker(
        self,
        name: str,
        *extra: str,
        launcher: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> Process:
        """`redline worker` (or `launcher` followed by the worker's arguments)."""
        head = launcher or [sys.executable, "-m", "redline.cli"]
        return self.start(
            *head,
            "worker",
            "--concurrency",
            "1",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}@{self.queue}",
            *extra,
            name=name,
            env=env,
        )

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()


class Process:
    """A long-running command in a session of its own (so that it can be killed with all its
    children), its output kept in a file and in memory."""

    def __init__(self, argv: tuple[str, ...] | list[str], env: dict[str, str], *, name: str,
                 log: Path) -> None:  # fmt: skip
        self.name = name
        self.log = log
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            list(argv),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.log.open("a") as out:
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                out.write(line)

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(self.lines)):
                return
            assert self.process.poll() is None, f"{self.name} exited:\n{self.output()[-4000:]}"
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: no {text!r} in:\n{self.output()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL to the process and every child (a machine losing the worker)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill()


def wait_until(predicate: Any, *, timeout: float = 120, every: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def build_outbreaks() -> None:
    """The data of the scaled scenarios (run inside `redline shell`): the access-test city,
    two conditions with a series at every unit and district, outbreaks at a third of them,
    and public-health bodies whose users have e-mail addresses."""
    from redline.accounts.models import User
    from redline.epidemic.tests.signal_data import add_cdc, calm, condition, outbreak
    from redline.organisations.models import Enterprise
    from redline.organisations.tests.world import build_world

    world = build_world()
    add_cdc(world, "cdc_city", "C")
    add_cdc(world, "cdc_d1", "D1")
    User.objects.filter(username__startswith="cdc_").update(email="cdc@example.org")
    units = list(Enterprise.objects.order_by("pk").values_list("pk", "region_id"))
    for code, method, every in (("ili", "ears-c2", 3), ("hfmd", "ears-c3", 4)):
        cond = condition(code, method=method)
        for i, (unit, region) in enumerate(units):
            if i % every == 0:
                outbreak(cond, region, DAY, place=unit, spike=30 + i)
            else:
                calm(cond, region, DAY, place=unit)


def signals_and_alarms() -> None:
    """Print (inside `redline shell`) what the day's detection found, as JSON: the run's
    alarms, the signals with their events, the chunks done."""
    from redline.epidemic.detection import run_alarms
    from redline.epidemic.models import DetectionRun, Signal

    run = DetectionRun.objects.get()
    signals = sorted(
        [
            s.condition.code,
            s.series_key,
            s.first_date.isoformat(),
            s.last_date.isoformat(),
            s.state,
            s.events.count(),
        ]
        for s in Signal.objects.select_related("condition")
    )
    print(
        json.dumps(
            {
                "finished": run.finished_at is not None,
                "alarms": run_alarms(run),
                "signals": signals,
                "chunks": sorted(e["id"] for e in run.chunks_done),
                "series": run.series,
                "errors": run.errors,
            }
        )
    )
