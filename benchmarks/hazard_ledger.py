"""Benchmark: the hidden-hazard ledger and dashboard at province scale (about 1,000,000
hazards and their timelines), on PostgreSQL by default.

Builds the province-scale demo into its own database once (REDLINE_BENCH_DATABASE_URL,
default postgres://127.0.0.1:5432/redline_bench_province, created when missing), then
times through Django's full request stack, for the city, a district and a department:
the ledger's first page unfiltered and with filters (open major, overdue, a sector, name
searches), the htmx fragment, the dashboard, and the API list. Prints figures (median and
90th percentile of --runs requests); asserts nothing.

    .venv/bin/python benchmarks/hazard_ledger.py [--runs 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from demo_db import open_demo

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/redline_bench_province"


def timed(client, url: str, runs: int, **headers) -> tuple[float, float, int]:
    samples = []
    status = 0
    client.get(url, **headers)  # warm the caches once
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, **headers)
        samples.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.9) - 1)], status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", default=os.environ.get("REDLINE_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    args = parser.parse_args()
    open_demo(args.database_url, scale="province", seed=args.seed)

    from django.db import connection
    from django.test import Client

    from redline.accounts.models import User
    from redline.hazards.models import Hazard, HazardEvent

    hazards = Hazard.objects.count()
    events = HazardEvent.objects.count()
    print(f"{hazards:,} hazards, {events:,} timeline entries ({connection.vendor})")
    district = User.objects.get(username="district-viewer")
    in_district = Hazard.objects.filter(
        region__path__startswith=district.organisation.region.path
    ).count()
    print(f"district user's district: {in_district:,} hazards")

    cases = [
        ("ledger, first page", "/hazards/", {}),
        ("ledger, open major", "/hazards/?state=open&level=major", {}),
        ("ledger, overdue", "/hazards/?overdue=1", {}),
        ("ledger, sector gas, closed", "/hazards/?sector=gas&state=closed", {}),
        # 法兰 (two characters: no trigram), 法兰泄漏 and 精细化工 (a word of thousands of
        # units' names): the name search with and without the trigram indexes.
        ("ledger, search a name", "/hazards/?q=%E6%B3%95%E5%85%B0", {}),
        ("ledger, search 4 characters", "/hazards/?q=%E6%B3%95%E5%85%B0%E6%B3%84%E6%BC%8F", {}),
        ("ledger, search units' names", "/hazards/?q=%E7%B2%BE%E7%BB%86%E5%8C%96%E5%B7%A5", {}),
        ("ledger, htmx fragment", "/hazards/?state=open", {"HTTP_HX_REQUEST": "true"}),
        ("dashboard", "/hazards/dashboard/", {}),
        ("dashboard, major", "/hazards/dashboard/?level=major", {}),
        ("API list, open", "/api/v1/hazards?state=open", {}),
    ]
    print(f"{'user':<18} {'request':<30} {'median ms':>10} {'p90 ms':>8}  status")
    for username in ("city-viewer", "district-viewer", "dept-viewer"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url, headers in cases:
            median, p90, status = timed(client, url, args.runs, **headers)
            print(f"{username:<18} {label:<30} {median:>10.1f} {p90:>8.1f}  {status}")


if __name__ == "__main__":
    main()
