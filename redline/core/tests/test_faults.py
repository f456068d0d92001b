"""Faults, for real: the application served by gunicorn (the settings of `redline serve`, with
a test hook: redline.core.tests.faults_gunicorn) on a database of its own (a SQLite file, or a
scratch PostgreSQL database when the suite runs on PostgreSQL), driven over HTTP.

- A worker SIGKILLed while it holds a hazard report, inside the report's transaction or just
  after its commit: the client sees its connection dropped, gunicorn's master starts a new
  worker by itself, the others answer meanwhile, and the client's retry with the same
  Idempotency-Key ends with exactly one hazard.
- The database ending the web workers' connections (PostgreSQL): no request fails, and a write
  right after is committed once; a Celery worker goes on running jobs.
- Uploads over REDLINE_UPLOAD_MAX_MB, through the API and the web form: a 422 naming the file
  and the limit. A request body over DATA_UPLOAD_MAX_MEMORY_SIZE: a 4xx, not a 500. Either
  way nothing is stored, no temporary file is left, and the server goes on answering.
"""

from __future__ import annotations

import base64
import http.client
import http.cookiejar
import json
import os
import re
import signal
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from redline.core.tests.scaled import (
    Database,
    Process,
    Site,
    on_postgresql,
    require_redis,
    wait_until,
)
from redline.organisations.tests.world import PASSWORD

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="finds gunicorn's workers in /proc (Linux)"
)

UPLOAD_MAX_MB = 1
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"

# The database, migrated, with the access-test city and an API token of a unit's operator
# (one `redline shell`: a process start less than `redline migrate` first).
BUILD = """
import json
from django.core.management import call_command
from redline.accounts.models import ApiToken, User
from redline.organisations.tests.world import build_world

call_command("migrate", verbosity=0)
world = build_world()
_token, key = ApiToken.issue(user=User.objects.get(username="ent-operator"), name="faults")
print(json.dumps({"key": key, "unit": world.orgs["ent"].arg}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


class Served:
    """gunicorn serving the application with the settings of `redline serve` (two workers of
    two threads), on `site`'s database; requests with the API token of a unit's operator."""

    def __init__(self, site: Site, *, key: str, unit: int) -> None:
        self.site = site
        self.key = key
        self.unit = unit
        self.port = _free_port()
        self.stall = site.root / "stall"
        self.stall.mkdir()
        self.tmp = site.root / "tmp"  # where uploads over 2.5 MB are spooled
        self.tmp.mkdir()
        self.media = site.root / "media"
        self.web: Process = site.start(
            sys.executable,
            "-m",
            "gunicorn",
            "redline.wsgi:application",
            "--config",
            "python:redline.core.tests.faults_gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "2",
            "--threads",
            "2",
            "--access-logfile",
            "-",
            name="web",
            env={
                "REDLINE_BROKER_URL": "",  # the embedded default: no broker
                "REDLINE_JOBS": "off",
                "REDLINE_UPLOAD_MAX_MB": str(UPLOAD_MAX_MB),
                "REDLINE_TEST_STALL": str(self.stall),
                "TMPDIR": str(self.tmp),
            },
        )
        self.master = self.web.process.pid
        self.ready_workers()

    def workers(self) -> set[int]:
        assert self.web.process.poll() is None, self.web.output()[-4000:]
        return _children(self.master)

    def ready_workers(self) -> set[int]:
        """gunicorn's two workers once both have loaded the application (each says so in
        the stall folder)."""

        def ready() -> set[int] | None:
            workers = self.workers()
            loaded = {int(p.name.removeprefix("ready-")) for p in self.stall.glob("ready-*")}
            return workers if len(workers) == 2 and workers <= loaded else None

        found: set[int] = wait_until(ready, timeout=180, every=0.05, what="two loaded workers")
        return found

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        headers: dict[str, str] | None = None,
        token: bool = True,
        timeout: float = 60,
    ) -> tuple[int, bytes]:
        """One request on a connection of its own: (status, body); a dropped connection
        raises."""
        sent = {"Accept-Language": "en", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {self.key}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def report(self, key: str, **fields: Any) -> tuple[int, bytes]:
        """A hazard report through the API, named after its Idempotency-Key."""
        payload = {
            "enterprise": self.unit,
            "name": key,
            "description": "The flange on line 3 drips.",
            "hazard_type": "equipment",
            "level": "general",
        } | fields
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        return self.call("POST", "/api/v1/hazards", json.dumps(payload).encode(), headers=headers)

    def hazards(self, named: str = "") -> int:
        """How many hazards the operator sees (all those of the unit), or named so."""
        query = "?" + urllib.parse.urlencode({"q": named}) if named else ""
        status, body = self.call("GET", "/api/v1/hazards" + query)
        assert status == 200, body[-2000:]
        return int(json.loads(body)["count"])

    def stored_files(self) -> list[Path]:
        return [p for p in self.media.rglob("*") if p.is_file()] if self.media.exists() else []

    def log_since(self, mark: int) -> str:
        return "\n".join(self.web.lines[mark:])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("faults")
    database = Database(root, f"redline_faults_{uuid.uuid4().hex[:8]}")
    database.create_empty()
    site = Site(root, database)
    try:
        made = site.python(BUILD, broker=False)
        yield Served(site, key=made["key"], unit=made["unit"])
    finally:
        site.stop_all()
        database.drop()


# --- a worker killed in the middle of a request ------------------------------------------------


@pytest.mark.parametrize(
    ("where", "committed", "retried"),
    [("inside", False, 201), ("after", True, 200)],
    ids=["killed-before-the-commit", "killed-after-the-commit"],
)
def test_a_worker_killed_mid_request_then_the_retry_makes_exactly_one_hazard(
    served: Served, where: str, committed: bool, retried: int
) -> None:
    key = f"killed-{where}-{uuid.uuid4().hex[:8]}"
    before = served.ready_workers()
    (served.stall / f"armed-{where}").touch()
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(served.report, key)
        stalled = wait_until(
            lambda: list(served.stall.glob("stalled-*")), timeout=60, every=0.02, what="the stall"
        )
        victim = int(stalled[0].name.removeprefix("stalled-"))
        assert victim in before, (victim, before)
        os.kill(victim, signal.SIGKILL)
        error = in_flight.exception(timeout=60)
    stalled[0].unlink()
    # The client sees its connection dropped, without an answer.
    assert isinstance(error, ConnectionError | http.client.HTTPException), repr(error)

    # The other worker answers meanwhile; the master replaces the killed one by itself.
    assert served.call("GET", "/api/v1/hazards")[0] == 200
    after = served.ready_workers()
    assert victim not in after and len(after - before) == 1, (before, after)
    assert f"Worker (pid:{victim}) was sent SIGKILL" in served.web.output()

    # Killed inside its transaction, the report left nothing; killed after, it is there.
    assert served.hazards(named=key) == int(committed)
    status, body = served.report(key)
    assert status == retried, body[-2000:]
    hazard = json.loads(body)
    assert served.hazards(named=key) == 1
    # The retry answered that hazard; another retry still answers it.
    status, again = served.report(key)
    assert status == 200 and json.loads(again)["id"] == hazard["id"]
    statuses = [served.call("GET", "/healthz", token=False)[0] for _ in range(8)]
    assert statuses == [200] * 8


# --- the database drops the web workers' connections ---------------------------------------------


def _terminate_backends(database: str) -> int:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        rows = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return len(rows)


def _statuses(served: Served, count: int) -> list[int | str]:
    """`count` reads of the hazards' list, four at a time (so that every worker thread holds a
    connection of its own); each one's status, or the error."""

    def read(_: int) -> int | str:
        try:
            return served.call("GET", "/api/v1/hazards")[0]
        except OSError as error:
            return repr(error)

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(read, range(count)))


def test_connections_ended_by_the_database_fail_no_request(served: Served) -> None:
    if not on_postgresql():
        pytest.skip(
            "PostgreSQL only: on SQLite each request opens the database file itself "
            "(CONN_MAX_AGE 0), there is no server to end a connection"
        )
    mark = len(served.web.lines)
    assert _statuses(served, 16) == [200] * 16
    assert _terminate_backends(served.site.database.name) >= 1
    assert _statuses(served, 16) == [200] * 16
    key = f"dropped-{uuid.uuid4().hex[:8]}"
    assert _terminate_backends(served.site.database.name) >= 1
    status, body = served.report(key)
    assert status == 201, body[-2000:]
    assert served.hazards(named=key) == 1
    assert "Traceback" not in served.log_since(mark), served.log_since(mark)[-4000:]


def test_a_celery_worker_whose_connection_the_database_ended_goes_on_running_jobs(
    served: Served,
) -> None:
    if not on_postgresql():
        pytest.skip("PostgreSQL only: on SQLite there is no server to end a connection")
    require_redis()
    site = served.site
    worker = site.worker("faults")
    try:
        worker.wait_for("ready")
        first = json.loads(site.redline("jobs", "hazard-tally").stdout)
        assert "combinations" in first["hazard-tally"], first
        assert _terminate_backends(site.database.name) >= 1
        # `redline jobs` fails (exit status) unless the worker ran the job.
        again = json.loads(site.redline("jobs", "hazard-tally").stdout)
        assert again["hazard-tally"] == first["hazard-tally"]
        assert "terminating connection" not in worker.output(), worker.output()[-4000:]
    finally:
        worker.stop()


# --- uploads over the limit --------------------------------------------------------------------


def _photo(size: int) -> bytes:
    """A file that starts like a JPEG, `size` bytes long."""
    return JPEG_HEAD + os.urandom(size - len(JPEG_HEAD))


def _signed_in(served: Served) -> tuple[urllib.request.OpenerDirector, str]:
    """A browser-like session of the unit's operator, and its CSRF token."""
    session = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    base = f"http://127.0.0.1:{served.port}"
    with session.open(base + "/accounts/login/", timeout=60) as response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())
    assert token
    fields = {"csrfmiddlewaretoken": token[1], "username": "ent-operator", "password": PASSWORD}
    request = urllib.request.Request(
        base + "/accounts/login/",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Referer": base + "/accounts/login/"},
    )
    with session.open(request, timeout=60) as response:
        assert "/accounts/login/" not in response.geturl()
        response.read()
    with session.open(base + "/hazards/new/", timeout=60) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token
    return session, token[1]


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post_form(
    served: Served,
    session: urllib.request.OpenerDirector,
    fields: dict[str, str],
    files: dict[str, tuple[str, bytes]],
) -> tuple[int, str]:
    url = f"http://127.0.0.1:{served.port}/hazards/new/"
    body, content_type = _multipart(fields, files)
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type, "Referer": url}
    )
    try:
        with session.open(request, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_uploads_over_the_limit_are_refused_and_store_nothing(served: Served) -> None:
    mark = len(served.web.lines)
    start = served.hazards()
    limit = UPLOAD_MAX_MB * 1024 * 1024
    too_big = f"{UPLOAD_MAX_MB} MB"

    # The API: a photo over the limit, in a body Django takes in.
    photo = {"name": "big.jpg", "content_base64": base64.b64encode(_photo(limit + 1)).decode()}
    status, body = served.report(f"big-{uuid.uuid4().hex[:8]}", photos=[photo])
    assert status == 422, body[-2000:]
    error = json.loads(body)["error"]
    assert error["code"] == "validation_error"
    assert "big.jpg" in error["fields"]["photos"] and too_big in error["fields"]["photos"]

    # The API: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (about 4/3 of the limit, in base64).
    photos = [{"name": f"p{i}.jpg", "content_base64": "A" * (limit // 2)} for i in range(4)]
    status, body = served.report(f"huge-{uuid.uuid4().hex[:8]}", photos=photos)
    assert status == 413, (status, body[-2000:])
    assert json.loads(body)["error"]["code"] == "too_large"

    # The web form: a photo over the limit (spooled to a temporary file on its way in).
    session, csrf = _signed_in(served)
    fields = {
        "csrfmiddlewaretoken": csrf,
        "idempotency_key": uuid.uuid4().hex,
        "enterprise": str(served.unit),
        "name": f"web-{uuid.uuid4().hex[:8]}",
        "description": "The flange on line 3 drips.",
        "hazard_type": "equipment",
        "level": "general",
        "source": "daily",
    }
    status, page = _post_form(served, session, fields, {"photos": ("big.jpg", _photo(3 * limit))})
    assert status == 422, page[-3000:]
    assert "big.jpg" in page and too_big in page
    # The web form: fields over DATA_UPLOAD_MAX_MEMORY_SIZE.
    padded = fields | {"location": "x" * (2 * limit + 1024)}
    status, page = _post_form(served, session, padded, {})
    assert 400 <= status < 500, (status, page[-3000:])

    # Nothing stored, no temporary file left behind, no server error.
    assert served.hazards() == start
    assert served.stored_files() == []
    assert list(served.tmp.iterdir()) == []
    log = served.log_since(mark)
    assert not re.search(r'HTTP/1\.1" 5\d\d ', log), log[-4000:]
    assert "Internal Server Error" not in log, log[-4000:]
    # The server answers, and takes the same report with a photo within the limit.
    assert served.call("GET", "/healthz", token=False)[0] == 200
    status, page = _post_form(served, session, fields, {"photos": ("small.jpg", _small_jpeg())})
    assert status == 200 and fields["name"] in page, page[-3000:]
    assert served.hazards(named=fields["name"]) == 1
    assert len(served.stored_files()) == 1


def _small_jpeg() -> bytes:
    from redline.hazards.tests.factories import JPEG

    return JPEG
