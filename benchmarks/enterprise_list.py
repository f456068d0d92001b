"""Benchmark: the enterprise list at province scale (about 200,000 units).

Builds the province-scale demo city once into its own database (SQLite under
var/bench/ by default, or REDLINE_DATABASE_URL), then times the list page, its
search and filters, the API list and the CSV export for a district user and for
the city, through Django's full request stack. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/enterprise_list.py [--runs 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from demo_db import BENCH_DIR, open_demo


def timed(client, url: str, runs: int) -> tuple[float, float, int]:
    samples = []
    status = 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            for _chunk in response.streaming_content:
                pass
        samples.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1], status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("REDLINE_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{BENCH_DIR / 'province.sqlite3'}"
    open_demo(url, scale="province", seed=args.seed)

    from django.test import Client

    from redline.accounts.models import User
    from redline.organisations.models import Enterprise, Region

    total = Enterprise.objects.count()
    district_user = User.objects.get(username="district-viewer")
    district = district_user.organisation.region
    in_district = Enterprise.objects.filter(
        region__path__startswith=district.path, is_archived=False
    ).count()
    sample = (
        Enterprise.objects.filter(region__path__startswith=district.path).order_by("id").first()
    )
    print(
        f"\nDatabase: {url.split('://')[0]}; {total:,} units; districts: "
        f"{Region.objects.filter(level='district').count()}; "
        f"the district user's district holds {in_district:,} active units."
    )
    print(f"Median and 90th percentile of {args.runs} requests through the full Django stack:\n")
    print(f"{'who':<10} {'request':<44} {'median ms':>10} {'p90 ms':>8}")
    for label, username in (("district", "district-viewer"), ("city", "city-viewer")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        checks = [
            ("list page 1", "/enterprises/"),
            ("list page 40", "/enterprises/?page=40"),
            ("list, htmx search by name", f"/enterprises/?q={sample.name[2:6]}"),
            ("list, sector filter", "/enterprises/?sector=hazchem"),
            ("API list (25)", "/api/v1/enterprises"),
            ("API list, search by code prefix", f"/api/v1/enterprises?q={sample.credit_code[:10]}"),
            ("detail page", f"/enterprises/{sample.pk}/"),
        ]
        if label == "district":
            checks.append(("CSV export of the whole list", "/enterprises/export.csv"))
        for name, path in checks:
            headers = {"HX-Request": "true"} if "htmx" in name else {}
            client.defaults.update(
                {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
            )
            median, p90, status = timed(client, path, args.runs)
            client.defaults.clear()
            note = "" if status == 200 else f"  (HTTP {status})"
            print(f"{label:<10} {name:<44} {median:>10.1f} {p90:>8.1f}{note}")


if __name__ == "__main__":
    main()
