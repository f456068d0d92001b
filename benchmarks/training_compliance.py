"""Benchmark: the per-unit training counts (`training.selectors.compliance`) at a demo scale.

Builds the demo at `--scale` into its own database once (a SQLite file under var/bench/, or
--database-url / REDLINE_BENCH_DATABASE_URL, e.g. a copy of a city demo already built), then
times, for the city's and a district's viewer, `compliance(user, on=today)` (the lean path the
situation report and the assessment use: the first call, the median and best of --runs more,
the number of queries of one call, the number of people and units counted) and, for
comparison, the same counts through the per-person path (`statuses`: model instances, as a
person's file page reads them), once, saying whether the counts agree. Prints figures;
asserts nothing.

    .venv/bin/python benchmarks/training_compliance.py [--scale city|small] [--runs 5]
    .venv/bin/python benchmarks/training_compliance.py --database-url sqlite:////tmp/city.sqlite3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from demo_db import ROOT, open_demo


def timed(call: Callable[[], Any], runs: int) -> tuple[Any, float, float, float, int]:
    """(answer, first ms, median ms, best ms, queries of one call): the first call (it also
    reads the user's jurisdiction), then the median and best of `runs` more, the first of
    which is counted."""
    from django.db import connection

    queries: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    started = time.perf_counter()
    answer = call()
    first = (time.perf_counter() - started) * 1000
    samples = []
    for run in range(runs):
        started = time.perf_counter()
        if run == 0:
            with connection.execute_wrapper(count):
                call()
        else:
            call()
        samples.append((time.perf_counter() - started) * 1000)
    if not samples:
        return answer, first, first, first, 0
    return answer, first, statistics.median(samples), min(samples), len(queries)


def per_person_counts(user: Any, on: Any) -> list[dict[str, Any]]:
    """The counts as the per-person path gives them (model instances, every finding)."""
    from redline.training import selectors

    counts: dict[int, dict[str, int]] = {}
    people = selectors.people_of_units(user).select_related("enterprise")
    for status in selectors.statuses(user, people.order_by("enterprise_id", "id"), on):
        row = counts.setdefault(
            status.person.enterprise_id or 0,
            {"people": 0, "compliant": 0, "lacking_hours": 0, "lacking_certificate": 0},
        )
        row["people"] += 1
        row["compliant"] += int(status.result.compliant)
        row["lacking_hours"] += int(status.result.lacks_hours)
        row["lacking_certificate"] += int(status.result.lacks_certificate)
    return list(counts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "city"), default="city")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("REDLINE_BENCH_DATABASE_URL"))
    parser.add_argument(
        "--no-per-person", action="store_true", help="skip the per-person path's timing"
    )
    args = parser.parse_args()
    url = (
        args.database_url
        or f"sqlite:///{ROOT / 'var' / 'bench' / f'training-{args.scale}.sqlite3'}"
    )
    open_demo(url, scale=args.scale, seed=args.seed)

    from django.db import connection
    from django.utils import timezone

    from redline.accounts.models import User
    from redline.training import selectors
    from redline.training.models import Certificate, TrainingRecord

    print(
        f"{connection.vendor}: {TrainingRecord.objects.count():,} training records, "
        f"{Certificate.objects.count():,} certificates"
    )
    today = timezone.localdate()
    print(f"{'user':<16} {'path':<22} {'first ms':>9} {'median ms':>10} {'best ms':>8} "
          f"{'queries':>8} {'people':>8} {'units':>6}")  # fmt: skip
    for username in ("city-viewer", "district-viewer"):
        user = User.objects.get(username=username)
        rows, first, median, best, queries = timed(
            partial(selectors.compliance, user, on=today), args.runs
        )
        people = sum(r["people"] for r in rows)
        print(
            f"{username:<16} {'compliance (lean)':<22} {first:>9.0f} {median:>10.0f} "
            f"{best:>8.0f} {queries:>8} {people:>8,} {len(rows):>6,}"
        )
        if args.no_per_person:
            continue
        slow, first, median, best, queries = timed(partial(per_person_counts, user, today), 0)
        same = sorted(
            (r["people"], r["compliant"], r["lacking_hours"], r["lacking_certificate"])
            for r in rows
        ) == sorted(
            (r["people"], r["compliant"], r["lacking_hours"], r["lacking_certificate"])
            for r in slow
        )
        print(
            f"{username:<16} {'statuses (per person)':<22} {first:>9.0f} {'':>10} {'':>8} "
            f"{'':>8} {sum(r['people'] for r in slow):>8,} {len(slow):>6,}"
            f"  {'same counts' if same else 'COUNTS DIFFER'}"
        )


if __name__ == "__main__":
    main()
