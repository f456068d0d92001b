"""Benchmark: the city cockpit (/cockpit/) and the situation report's figures at a demo scale.

Builds the demo at `--scale` into its own database once (province: PostgreSQL,
REDLINE_BENCH_DATABASE_URL, default postgres://127.0.0.1:5432/redline_bench_province, created
when missing; city and small: a SQLite file under var/bench/), then times through Django's
full request stack, for the city's and a district's user: the cockpit's first render in a
fresh process (the first request, cold) and then the median and 90th percentile of --runs
renders, with the number of queries of one render; the report page's preview; the figures
alone (`figures.compute`); and the report file's on-demand job in each format (claimed and
run as the jobs process does). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/cockpit.py [--scale province|city|small] [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from demo_db import ROOT, open_demo

PROVINCE_URL = "postgres://postgres@127.0.0.1:5432/redline_bench_province"


def timed(client: Any, url: str, runs: int) -> tuple[float, float, float, int, int]:
    """(first ms, median ms, p90 ms, queries of one render, status)."""
    from django.db import connection

    started = time.perf_counter()
    response = client.get(url)
    first = (time.perf_counter() - started) * 1000
    # Counted as they run (CaptureQueriesContext loses them: a request's start resets the
    # connection's query log).
    queries: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        client.get(url)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p90 = samples[max(0, int(len(samples) * 0.9) - 1)]
    return first, statistics.median(samples), p90, len(queries), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "city", "province"), default="province")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("REDLINE_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    url = args.database_url or (
        PROVINCE_URL
        if args.scale == "province"
        else f"sqlite:///{ROOT / 'var' / 'bench' / f'cockpit-{args.scale}.sqlite3'}"
    )
    open_demo(url, scale=args.scale, seed=args.seed)

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from redline.accidents.models import Accident
    from redline.accounts.models import User
    from redline.core import jobs
    from redline.hazards.models import Hazard
    from redline.organisations.models import Enterprise
    from redline.reports.figures import Period, compute

    print(
        f"{args.scale}: {Enterprise.objects.count():,} units, {Hazard.objects.count():,} hazards, "
        f"{Accident.objects.count():,} accidents ({connection.vendor})"
    )
    period = Period.current("quarter", timezone.localdate())
    print(f"{'user':<16} {'request':<26} {'first ms':>9} {'median ms':>10} {'p90 ms':>8} "
          f"{'queries':>8}  status")  # fmt: skip
    for username in ("city-viewer", "district-viewer"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, path in (
            ("cockpit", "/cockpit/"),
            ("report page (preview)", f"/reports/situation/?period={period.code}"),
        ):
            first, median, p90, queries, status = timed(client, path, args.runs)
            print(
                f"{username:<16} {label:<26} {first:>9.0f} {median:>10.0f} {p90:>8.0f} "
                f"{queries:>8}  {status}"
            )
        reader = User.objects.get(username=username)
        started = time.perf_counter()
        compute(reader, period)
        print(
            f"{username:<16} {'figures alone':<26} {(time.perf_counter() - started) * 1000:>9.0f}"
        )
        for fmt in ("pdf", "docx", "xlsx"):
            run = jobs.enqueue(
                kind="reports.situation",
                user=reader,
                params={"period": period.code, "format": fmt, "language": "zh-hans"},
                token=f"bench-{time.time_ns()}",
                title="benchmark",
            )
            started = time.perf_counter()
            claimed = jobs.claim()
            assert claimed is not None and claimed.pk == run.pk
            done = jobs.execute(claimed)
            elapsed = (time.perf_counter() - started) * 1000
            label = f"report file job ({fmt})"
            print(f"{username:<16} {label:<26} {elapsed:>9.0f}  {done.state}")


if __name__ == "__main__":
    main()
