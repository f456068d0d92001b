"""Benchmark: the served city under load, in the scaled configuration, then a reconciliation
proving that nothing accepted was lost or recorded twice.

Builds the city-scale demo into the load database once (--database-url, default
postgres://postgres@127.0.0.1:5432/redline_load, created when missing), refreshes the
planner's statistics (ANALYZE), issues API tokens
to demo users of every kind (benchmarks/load/prepare.py), starts `redline serve` (gunicorn,
--workers) and one `redline worker` on the Redis at 127.0.0.1:6379 under a queue of its
own, and runs the locust scenario (benchmarks/load/locustfile.py) headless against it:
--users concurrent users for --run-time. Prints the requests per second and the 50th, 95th
and 99th percentiles (ms) per request kind, with the outcomes (409: someone acted first,
expected; 5xx; other failures), then checks the database against the journal of accepted
submissions the users wrote (benchmarks/load/reconcile.py), PASS or FAIL each, and exits 1
on a FAIL. Files of the run (fixtures with tokens, journal, locust CSV, server logs) are in
var/bench/load-<run>/.

    .venv/bin/python benchmarks/load/run.py [--users 50] [--run-time 3m] [--workers 2]

Needs the `load` extra (locust). Don't point it at a database someone is building the demo
into: it would see no city yet and build a second one.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # demo_db
sys.path.insert(0, str(HERE))  # prepare, reconcile

from demo_db import BENCH_DIR, ROOT, open_demo  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/redline_load"
BROKER = "redis://127.0.0.1:6379/0"


def seconds(text: str) -> int:
    """locust's --run-time (45s, 3m, 1h30m) in seconds."""
    parts = re.findall(r"(\d+)\s*([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        if text.isdigit():
            return int(text)
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 45s, 3m, 1h30m)")
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(base: str, server: Any, timeout: float = 180) -> None:
    """Until the web answers /healthz. (Not /readyz: it wants `redline beat` too, which the
    run leaves out, as its periodic tally rebuild would repair what the run checks.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if server.process.poll() is not None:
            raise SystemExit(f"redline serve exited:\n{server.output()[-3000:]}")
        time.sleep(0.5)
    raise SystemExit(f"redline serve not ready after {timeout:.0f} s:\n{server.output()[-3000:]}")


def analyze() -> None:
    """Fresh planner statistics before timing anything: a demo built by `redline demo`
    (not by `open_demo`) has none until autovacuum comes by, and it may be off."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"ANALYZE: {time.perf_counter() - started:.0f} s")


def server_env(database_url: str, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    return env | {
        "REDLINE_DEMO": "1",
        "REDLINE_DATABASE_URL": database_url,
        "REDLINE_BROKER_URL": BROKER,
        "REDLINE_QUEUE": queue,
        "REDLINE_VAR_DIR": str(BENCH_DIR),
        "REDLINE_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }


def forget_queue(queue: str) -> None:
    """Leave nothing of the run's queue in Redis (its messages, kombu's bindings)."""
    import redis

    client = redis.Redis.from_url(BROKER)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    client.close()


def run_locust(args: argparse.Namespace, base: str, out: Path) -> int:
    env = os.environ | {
        "LOAD_FIXTURES": str(out / "fixtures.json"),
        "LOAD_OUTCOMES": str(out / "outcomes.json"),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--stop-timeout",
        "30",
        "--host",
        base,
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with (out / "locust.log").open("w") as log:
        finished = subprocess.run(
            command,
            env=env,
            cwd=out,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds(args.run_time) + 600,
        )
    return finished.returncode


# --- figures -----------------------------------------------------------------------------


def outcomes(out: Path) -> dict[str, dict[str, int]]:
    path = out / "outcomes.json"
    found: dict[str, dict[str, int]] = {}
    if path.exists():
        for row in json.loads(path.read_text()):
            found.setdefault(row["kind"], {})[row["outcome"]] = row["n"]
    return found


def print_figures(out: Path, seen: dict[str, dict[str, int]], run_time: str) -> None:
    path = out / "locust_stats.csv"
    if not path.exists():
        print(f"no locust statistics ({path}); see {out / 'locust.log'}")
        return
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    print()
    header = (
        f"{'request kind':<36} {'requests':>8} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}"
        f" {'409':>5} {'5xx':>4} {'none':>4} {'other':>5}"
    )
    print(
        header + "   (ms; 409: someone acted first, expected; none: no answer (connection "
        "failed); other: any other failure)"
    )
    total = None
    for row in rows:
        if row["Name"] == "Aggregated":
            total = row
            continue
        counts = seen.get(row["Name"], {})
        print(
            f"{row['Name']:<36} {int(row['Request Count']):>8} "
            f"{float(row['Requests/s']):>6.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
            f" {counts.get('conflict', 0):>5} {counts.get('5xx', 0):>4}"
            f" {counts.get('no answer', 0):>4} {counts.get('failure', 0):>5}"
        )
    if total is not None:
        all_5xx = sum(c.get("5xx", 0) for c in seen.values())
        others = sum(c.get("failure", 0) for c in seen.values())
        unanswered = sum(c.get("no answer", 0) for c in seen.values())
        print(
            f"{'all':<36} {int(total['Request Count']):>8} "
            f"{float(total['Requests/s']):>6.1f} {total['50%']:>6} {total['95%']:>6} "
            f"{total['99%']:>6} {sum(c.get('conflict', 0) for c in seen.values()):>5} "
            f"{all_5xx:>4} {unanswered:>4} {others:>5}"
        )
        print(
            f"\nthroughput: {float(total['Requests/s']):.1f} requests/s over {run_time}; "
            f"5xx answers: {all_5xx}; no answer: {unanswered}; other failures: {others}"
        )


def tracebacks(*logs: Path) -> list[str]:
    """The last line of every traceback in the servers' logs."""
    found = []
    for log in logs:
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        inside = False
        for i, line in enumerate(lines):
            if "Traceback (most recent call last)" in line:
                inside = True
            elif inside and line and not line.startswith((" ", "\t")):
                found.append(f"{log.name}:{i + 1}: {line[:200]}")
                inside = False
    return found


def print_checks(title: str, checks: list[tuple[str, bool, str]]) -> bool:
    print(f"\n{title}")
    for name, passed, detail in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {name}\n        {detail}")
    return all(passed for _name, passed, _detail in checks)


# --- the run -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("REDLINE_LOAD_DATABASE_URL", DEFAULT_URL),
    )
    parser.add_argument("--scale", default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="3m", help="locust's: 45s, 3m, 1h30m")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    seconds(args.run_time)  # refuse a bad duration before building anything

    open_demo(args.database_url, scale=args.scale, seed=args.seed)
    analyze()

    import prepare
    import reconcile
    from django.db import connection
    from django.utils import timezone

    from redline.core.tests.scaled import Process, redis_answers

    if not redis_answers():
        raise SystemExit("Redis does not answer on 127.0.0.1:6379 (the scaled configuration)")
    run = uuid.uuid4().hex[:8]
    out = BENCH_DIR / f"load-{run}"
    out.mkdir(parents=True)
    fixtures = prepare.fixtures(run=run, journal=str(out / "journal.jsonl"))
    (out / "fixtures.json").write_text(json.dumps(fixtures, ensure_ascii=False, indent=1))
    groups = ("readers", "web", "reporters", "managers", "government", "uploaders")
    print(f"run {run}: " + ", ".join(f"{len(fixtures[g])} {g}" for g in groups))
    print_checks("before the run", reconcile.tally_checks())
    connection.close()

    queue = f"load-{run}"
    env = server_env(args.database_url, queue)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = timezone.now()
    web = Process(
        [sys.executable, "-m", "redline.cli", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers)],
        env, name="serve", log=out / "serve.log",
    )  # fmt: skip
    worker = Process(
        [sys.executable, "-m", "redline.cli", "worker", "--concurrency", "1",
         "--without-mingle", "--without-gossip", "-n", f"load@{queue}"],
        env, name="worker", log=out / "worker.log",
    )  # fmt: skip
    try:
        wait_ready(base, web)
        worker.wait_for("ready", timeout=180)
        print(
            f"serving {base} ({args.workers} gunicorn workers, a worker on queue {queue}); "
            f"locust: {args.users} users for {args.run_time} ..."
        )
        code = run_locust(args, base, out)
        print(f"locust exited with {code} (1: some requests failed; see below)")
    finally:
        web.stop()
        worker.stop()
        forget_queue(queue)
    finished = timezone.now()

    seen = outcomes(out)
    print_figures(out, seen, args.run_time)
    problems = tracebacks(out / "serve.log", out / "worker.log")
    step_kind = seen.get("POST /hazards/{id}/steps/{action}", {})
    checks = reconcile.all_checks(
        out / "journal.jsonl",
        run=run,
        during=(started, finished),
        unanswered_steps=step_kind.get("5xx", 0) + step_kind.get("no answer", 0),
    )
    all_5xx = sum(c.get("5xx", 0) for c in seen.values())
    checks.append(
        (
            "served: no 5xx answer, no traceback in the servers' logs",
            all_5xx == 0 and not problems,
            f"{all_5xx} 5xx answers; tracebacks: {len(problems)} {problems[:5]}",
        )
    )
    passed = print_checks("after the run", checks)
    print(f"\nfiles of the run: {out.relative_to(ROOT)}")
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
