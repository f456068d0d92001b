"""`redline serve` for real: gunicorn with two workers and the jobs process, on the embedded
SQLite, against the small demo city, driven over HTTP by fresh browser-like sessions.

Page loads and sign-ins right after the start (while the first jobs cycle runs) and again
after a jobs cycle must all succeed; gunicorn's master holds no thread and no database file;
a jobs process that dies is restarted; stopping `redline serve` stops everything.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

PAGES = ["/accounts/login/", "/report/", "/report/track/", "/favicon.ico"]


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    env.update(REDLINE_DEMO="1", REDLINE_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    return env


def _redline(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "redline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """A running `redline serve` and everything it has printed so far."""

    def __init__(self, var_dir: Path, **extra_env: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = _env(var_dir) | {"REDLINE_JOBS_TICK": "1"} | extra_env
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "redline.cli",
                "serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                found = re.search(pattern, line)
                if found:
                    return found
            assert self.process.poll() is None, f"redline serve exited:\n{self.output()[-4000:]}"
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.output()[-4000:]}")

    def wait_until_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert self.process.poll() is None, self.output()[-4000:]
                time.sleep(0.02)
        raise AssertionError(f"nothing listens on {self.port}:\n{self.output()[-4000:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def _session() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def _load(base: str, path: str) -> str:
    """One page load by a fresh session: its status, or what went wrong."""
    try:
        with _session().open(base + path, timeout=60) as response:
            response.read()
            return str(response.status)
    except urllib.error.HTTPError as error:
        return f"{error.code} {path}"
    except OSError as error:
        return f"{error!r} {path}"


def _signed_in(base: str, login: dict[str, str]) -> urllib.request.OpenerDirector:
    """A fresh session, signed in (AssertionError naming what went wrong otherwise)."""
    session = _session()
    with session.open(base + "/accounts/login/", timeout=60) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, "no CSRF token on the sign-in page"
    data = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": login["username"],
            "password": login["password"],
        }
    ).encode()
    request = urllib.request.Request(
        base + "/accounts/login/", data=data, headers={"Referer": base + "/accounts/login/"}
    )
    with session.open(request, timeout=60) as response:
        landed = response.geturl()
        response.read()
    assert "/accounts/login/" not in landed, f"{login['username']}: still on the sign-in page"
    return session


def _sign_in(base: str, login: dict[str, str]) -> str:
    """A fresh session signs in and opens its home page; "ok" or what went wrong."""
    try:
        session = _signed_in(base, login)
        with session.open(base + "/", timeout=60) as response:
            home = response.read().decode()
        if "/accounts/logout/" not in home:
            return f"{login['username']}: home page without a sign-out"
        return "ok"
    except AssertionError as problem:
        return str(problem)
    except urllib.error.HTTPError as error:
        return f"{login['username']}: HTTP {error.code}"
    except OSError as error:
        return f"{login['username']}: {error!r}"


def _burst(base: str, logins: list[dict[str, str]]) -> tuple[list[str], list[str]]:
    """60 page loads and 20 sign-ins, each with a fresh session, eight at a time."""
    with ThreadPoolExecutor(8) as pool:
        loads = pool.map(_load, [base] * 60, [PAGES[i % len(PAGES)] for i in range(60)])
        chosen = [logins[(i * 7) % len(logins)] for i in range(20)]
        sign_ins = pool.map(_sign_in, [base] * 20, chosen)
        return list(loads), list(sign_ins)


def _post(session: urllib.request.OpenerDirector, url: str, fields: dict[str, str]) -> str:
    """POST a form (redirects followed); the URL it lands on."""
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(fields).encode(), headers={"Referer": url}
    )
    with session.open(request, timeout=120) as response:
        response.read()
        return response.geturl()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo city in an embedded SQLite database of its own."""
    var_dir = tmp_path_factory.mktemp("served")
    env = _env(var_dir)
    _redline("migrate", "--no-input", env=env)
    _redline("demo", "--scale", "small", env=env)
    return var_dir


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_served_demo_answers_every_page_load_and_sign_in(demo_dir: Path) -> None:
    logins = json.loads((demo_dir / "demo-logins.json").read_text())
    served = Served(demo_dir)
    try:
        served.wait_until_listening()
        # Right after the start: the first jobs cycle runs at the same time.
        loads, sign_ins = _burst(served.base, logins)
        assert loads == ["200"] * 60, [s for s in loads if s != "200"]
        assert sign_ins == ["ok"] * 20, [s for s in sign_ins if s != "ok"]

        cycle = served.wait_for(r"jobs cycle (\d+) done")
        mark = len(served.lines)
        served.wait_for(r"jobs cycle \d+ done", after=mark)
        loads, sign_ins = _burst(served.base, logins)
        assert loads == ["200"] * 60, [s for s in loads if s != "200"]
        assert sign_ins == ["ok"] * 20, [s for s in sign_ins if s != "ok"]
        assert int(cycle.group(1)) >= 1

        # gunicorn's master: no thread besides its own, no database file open.
        master = int(served.wait_for(r"gunicorn master pid (\d+)").group(1))
        assert len(list(Path(f"/proc/{master}/task").iterdir())) == 1
        open_files = [os.readlink(fd) for fd in Path(f"/proc/{master}/fd").iterdir()]
        assert not [f for f in open_files if "sqlite" in f], open_files
        assert "Traceback" not in served.output(), served.output()[-4000:]
    finally:
        code = served.stop()
    assert code == 0, served.output()[-4000:]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_a_dead_jobs_process_is_restarted_and_stop_leaves_nothing_behind(
    demo_dir: Path,
) -> None:
    served = Served(demo_dir)
    try:
        served.wait_until_listening()
        first = int(served.wait_for(r"jobs: process pid (\d+)").group(1))
        served.wait_for(rf"\[{first}\] INFO redline.core.jobs: jobs cycle 1 done")
        os.kill(first, signal.SIGKILL)
        mark = len(served.lines)
        served.wait_for(r"jobs: process exited with code -9; restarting", after=mark)
        second = int(served.wait_for(r"jobs: process pid (\d+)", after=mark).group(1))
        assert second != first
        served.wait_for(rf"\[{second}\] INFO redline.core.jobs: jobs cycle 1 done", after=mark)
        assert _load(served.base, "/accounts/login/") == "200"
        children = _children(served.process.pid)
        assert second in children and len(children) == 2
    finally:
        code = served.stop()
    assert code == 0, served.output()[-4000:]
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid), f"{pid} still runs"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_a_report_asked_for_on_the_page_is_written_by_the_jobs_process(demo_dir: Path) -> None:
    """The user's journey on the served app: ask for the situation report, land on its run's
    page at once, watch it end (the jobs process beside gunicorn writes it), download it."""
    logins = {x["username"]: x for x in json.loads((demo_dir / "demo-logins.json").read_text())}
    served = Served(demo_dir)
    try:
        served.wait_until_listening()
        session = _signed_in(served.base, logins["city-manager"])
        page_url = served.base + "/reports/situation/?period=2026"
        with session.open(page_url, timeout=120) as response:
            form = response.read().decode()
        fields = {
            "csrfmiddlewaretoken": re.search(r'csrfmiddlewaretoken" value="([^"]+)"', form)[1],
            "token": re.search(r'name="token" value="([^"]+)"', form)[1],
            "period": "2026",
            "format": "pdf",
            "action": "file",
        }
        landed = _post(session, served.base + "/reports/situation/", fields)
        run_url = re.fullmatch(rf"{re.escape(served.base)}/jobs/([0-9a-f-]+)/", landed)
        assert run_url, landed
        # A retried submission lands on the same run.
        assert _post(session, served.base + "/reports/situation/", fields) == landed
        deadline = time.monotonic() + 180
        state = ""
        while time.monotonic() < deadline:
            with session.open(landed, timeout=60) as response:
                state = re.search(r'data-state="(\w+)"', response.read().decode())[1]
            if state in ("done", "failed"):
                break
            time.sleep(0.5)
        assert state == "done", served.output()[-4000:]
        with session.open(landed + "result", timeout=60) as response:
            assert response.headers["Content-Type"] == "application/pdf"
            assert response.read().startswith(b"%PDF")
        other = _signed_in(served.base, logins["district-viewer"])
        with pytest.raises(urllib.error.HTTPError) as refused:
            other.open(landed + "result", timeout=60)
        assert refused.value.code == 404
        assert "Traceback" not in served.output(), served.output()[-4000:]
    finally:
        code = served.stop()
    assert code == 0, served.output()[-4000:]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_probes_and_metrics_of_the_served_app(demo_dir: Path, tmp_path: Path) -> None:
    """/healthz and /readyz answer a probe without a session; /metrics adds up the requests of
    both gunicorn workers (PROMETHEUS_MULTIPROC_DIR), whichever worker answers the scrape."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    served = Served(demo_dir, PROMETHEUS_MULTIPROC_DIR=str(shared))
    try:
        served.wait_until_listening()
        with ThreadPoolExecutor(8) as pool:
            loads = list(pool.map(_load, [served.base] * 40, ["/healthz"] * 40))
        assert loads == ["200"] * 40, loads
        with urllib.request.urlopen(served.base + "/healthz", timeout=60) as response:
            assert response.read() == b"ok"
            assert "Set-Cookie" not in response.headers
        with urllib.request.urlopen(served.base + "/readyz", timeout=60) as response:
            ready = json.loads(response.read())
        assert ready["status"] == "ready", ready
        with urllib.request.urlopen(served.base + "/metrics", timeout=60) as response:
            text = response.read().decode()
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        healthz = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
        assert samples.get(("redline_http_request_duration_seconds_count", healthz)) == 41, text
        assert ("redline_jobs_queued", ()) in samples, text
        assert "Traceback" not in served.output(), served.output()[-4000:]
    finally:
        code = served.stop()
    assert code == 0, served.output()[-4000:]
