"""How long `redline demo` takes, step by step.

    .venv/bin/python benchmarks/demo_build.py --scale city [--runs 3]
    .venv/bin/python benchmarks/demo_build.py --scale province \
        --database-url postgres://postgres@127.0.0.1:5432/demo_bench

Each run builds the demo into a new database (SQLite: a file in a new folder under
var/bench/; PostgreSQL: the database is dropped and created again) and prints the seconds
of each step: the city itself (regions, government, park, units, users), then every
module's step. The last lines give the median of the runs per step. Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(scale: str, seed: int, database_url: str | None) -> dict[str, float]:
    """A build in a child process (a fresh Django, a fresh database); its step times."""
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as folder:
        env = dict(os.environ, REDLINE_DEMO="1", REDLINE_VAR_DIR=folder)
        if database_url:
            env["REDLINE_DATABASE_URL"] = database_url
            _recreate(database_url)
        output = subprocess.run(
            [sys.executable, __file__, "--child", "--scale", scale, "--seed", str(seed)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    times = {}
    for line in output.splitlines():
        if line.startswith("STEP "):
            _tag, seconds, name = line.split(" ", 2)
            times[name] = float(seconds)
    return times


def _recreate(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def child(scale: str, seed: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "redline.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from redline.organisations import demo

    call_command("migrate", verbosity=0, interactive=False)
    times: dict[str, float] = {}
    started = time.perf_counter()

    def timed(step):  # type: ignore[no-untyped-def]
        def run(builder, units):  # type: ignore[no-untyped-def]
            times["city (regions, government, units, users)"] = times.get(
                "city (regions, government, units, users)", time.perf_counter() - started
            )
            begin = time.perf_counter()
            step(builder, units)
            times[f"{step.__module__}.{step.__name__}"] = time.perf_counter() - begin

        return run

    demo.build_city(
        seed=seed,
        scale=scale,
        progress=lambda message: print(f"  [{time.perf_counter() - started:7.1f}s] {message}"),
        steps=[timed(step) for step in demo.STEPS],
    )
    begin = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    times["ANALYZE"] = time.perf_counter() - begin
    times["total"] = time.perf_counter() - started
    for name, seconds in times.items():
        print(f"STEP {seconds:.2f} {name}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.scale, args.seed)
        return
    (ROOT / "var").mkdir(exist_ok=True)
    runs = []
    for index in range(args.runs):
        times = one_run(args.scale, args.seed, args.database_url)
        runs.append(times)
        print(f"run {index + 1}: " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))
    print(
        f"\n{args.scale} demo, {'PostgreSQL' if args.database_url else 'SQLite'}, "
        f"median of {len(runs)} run(s), seconds per step:"
    )
    for name in runs[0]:
        print(f"  {statistics.median(r[name] for r in runs):8.1f}  {name}")


if __name__ == "__main__":
    main()
