"""Benchmark: the double-random inspection plan drawn from the database of the city-scale
demo (what `redline plan-inspections` without files and the plan page do).

Builds the city-scale demo (`redline demo --scale city`) into its own database once
(REDLINE_BENCH_DATABASE_URL, default a SQLite file under var/bench/; a postgres:// URL is
created when missing): by default only what the planner reads (the city, its units and
users, the risk inventories and the inspections module with its libraries: the other
modules' steps take most of the build's half hour and the planner reads none of them), with
--whole every step. Then it times: reading the libraries (targets with their risk levels
and last inspections, inspectors with competences and recusals), the plan drawn in-process,
`plan_draft` as the plan page calls it (drawn and kept as a draft), and the
`redline plan-inspections --year Y --seed S` process end to end. Prints figures (median of
--runs); asserts nothing.

    .venv/bin/python benchmarks/plan_city_demo.py [--runs 5] [--database-url URL]
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
BENCH = ROOT / "var" / "bench"


def setup(database_url: str) -> None:
    BENCH.mkdir(parents=True, exist_ok=True)
    os.environ["REDLINE_DATABASE_URL"] = database_url
    os.environ.setdefault("REDLINE_DEMO", "1")
    os.environ.setdefault("REDLINE_VAR_DIR", str(BENCH))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "redline.settings")
    sys.path.insert(0, str(ROOT))
    if database_url.startswith("postgres"):
        from urllib.parse import urlparse

        import psycopg

        parts = urlparse(database_url)
        name = parts.path.lstrip("/")
        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not found.fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()


def median_seconds(work, runs: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--whole", action="store_true", help="build every demo step")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("REDLINE_BENCH_DATABASE_URL"),
    )
    args = parser.parse_args()
    if args.database_url is None:
        name = "city-demo-whole" if args.whole else "city-demo-planner"
        args.database_url = f"sqlite:///{BENCH / name}.sqlite3"
    setup(args.database_url)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from redline.inspections import planning
    from redline.inspections.models import InspectionPlan, InspectorProfile
    from redline.inspections.plan_data import plan_rules
    from redline.organisations import demo
    from redline.organisations.models import Enterprise, Region

    call_command("migrate", verbosity=0, interactive=False)
    if not Region.objects.exists():
        print(f"Building the city-scale demo into {args.database_url} (once) ...", flush=True)
        started = time.perf_counter()
        steps = [
            step
            for step in demo.STEPS
            if args.whole or step.__module__ in ("redline.risk.demo", "redline.inspections.demo")
        ]
        demo.build_city(
            seed=args.seed,
            scale="city",
            progress=lambda m: print("  " + m, flush=True),
            steps=steps,
        )
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    planner = get_user_model().objects.get(username="city-manager")
    year = timezone.localdate().year + 2  # a year the demo has not planned
    print(
        f"{Enterprise.objects.count():,} units, "
        f"{InspectorProfile.objects.filter(is_active=True).count():,} inspectors "
        f"({connection.vendor}); planning {year}, median of {args.runs} runs"
    )

    rules = plan_rules()
    read, (targets, inspectors) = median_seconds(lambda: planning.libraries(None), args.runs)
    drawn, plan = median_seconds(
        lambda: planning.plan(targets, inspectors, rules, year=year, seed=42), args.runs
    )
    whole, _ = median_seconds(lambda: planning.plan_from_database(year=year, seed=42), args.runs)

    def draft() -> object:
        made = planning.plan_draft(actor=planner, year=year, seed=42)
        InspectionPlan.objects.filter(pk=made.pk).delete()
        return made

    drafted, _ = median_seconds(draft, args.runs)

    env = dict(os.environ)
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(
                [
                    str(ROOT / ".venv" / "bin" / "redline"),
                    "plan-inspections",
                    "--year",
                    str(year),
                    "--seed",
                    "42",
                    "--output",
                    f"{tmp}/plan.json",
                ],
                check=True,
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            samples.append(time.perf_counter() - started)
    process = statistics.median(samples)

    print(
        f"targets {len(targets):,}, inspectors {len(inspectors):,}, "
        f"inspections {len(plan.inspections):,}"
    )
    rows = [
        ("reading the libraries (targets, inspectors)", read),
        ("drawing the plan in-process", drawn),
        ("plan_from_database (read + draw)", whole),
        ("plan_draft as the plan page calls it (kept as a draft)", drafted),
        ("`redline plan-inspections` process, end to end", process),
    ]
    for label, seconds in rows:
        print(f"  {label:<58} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
