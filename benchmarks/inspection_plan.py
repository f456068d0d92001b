"""Benchmark of the double-random inspection planner at city scale.

Builds a city's inputs (default 20,000 targets, 300 inspectors; seeded, so every run plans the
same city), then times the engine in-process (no Django: the design, one draw, the JSON) and
`redline plan-inspections` as a process (reading the CSV files, writing plan.json). Prints
figures; nothing is asserted.

    .venv/bin/python benchmarks/inspection_plan.py [--targets 20000] [--inspectors 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redline.engines.inspection_plan import (  # noqa: E402
    Inspector,
    Target,
    design,
    draw,
    plan_json,
)
from redline.engines.plan_csv import decode, read_inspectors, read_targets  # noqa: E402
from redline.engines.plan_rules import SECTORS  # noqa: E402
from redline.inspections.plan_data import plan_rules  # noqa: E402

SECTOR_SHARES = (0.05, 0.25, 0.15, 0.10, 0.10, 0.25, 0.10)
LEVELS = ("major", "larger", "general", "low")
LEVEL_SHARES = (0.02, 0.10, 0.38, 0.50)
# Inspectors' competences follow the work: hazardous chemicals are all required.
COMPETENCE_SHARES = (0.20, 0.20, 0.15, 0.10, 0.10, 0.15, 0.10)


def city(n_targets: int, n_inspectors: int, seed: int = 7) -> tuple[list[Target], list[Inspector]]:
    rng = random.Random(seed)
    regions = [f"district-{d:02}" for d in range(1, 11)]
    targets = [
        Target(
            id=f"T{k:06}",
            name=f"企业{k}",
            sector=rng.choices(SECTORS, SECTOR_SHARES)[0],
            region=rng.choice(regions),
            risk_level=rng.choices(LEVELS, LEVEL_SHARES)[0],
            standardisation_grade=rng.choice((None, 1, 2, 2, 3, 3)),
        )
        for k in range(n_targets)
    ]
    ids = [t.id for t in targets]
    inspectors = [
        Inspector(
            id=f"I{j:04}",
            name=f"检查员{j}",
            department=rng.choice(("emergency", "fire", "housing", "transport")),
            region=rng.choice(regions),
            sectors=frozenset(rng.choices(SECTORS, COMPETENCE_SHARES, k=rng.randint(1, 3))),
            capacity=rng.randint(30, 60),
            recuse=frozenset(rng.sample(ids, rng.randint(0, 3))),
        )
        for j in range(n_inspectors)
    ]
    return targets, inspectors


def write_csv(targets: list[Target], inspectors: list[Inspector], folder: Path) -> None:
    with (folder / "targets.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(("id", "name", "sector", "region", "risk_level", "standardisation_grade"))
        for t in targets:
            grade = "" if t.standardisation_grade is None else t.standardisation_grade
            out.writerow((t.id, t.name, t.sector, t.region, t.risk_level, grade))
    with (folder / "inspectors.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(("id", "name", "department", "region", "sectors", "capacity", "recuse"))
        for i in inspectors:
            out.writerow(
                (
                    i.id,
                    i.name,
                    i.department,
                    i.region,
                    ";".join(sorted(i.sectors)),
                    i.capacity,
                    ";".join(sorted(i.recuse)),
                )
            )


def timed(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=20_000)
    parser.add_argument("--inspectors", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rules = plan_rules()
    targets, inspectors = city(args.targets, args.inspectors)
    print(f"city: {len(targets):,} targets, {len(inspectors):,} inspectors, median of {args.runs}")

    seconds, made = timed(lambda: design(targets, inspectors, rules, year=2027), args.runs)
    budget = made.budget  # type: ignore[attr-defined]
    print(f"design (chances, strata, required staffing): {seconds:.3f} s")
    print(
        f"  capacity {budget['inspector_slots']:,} slots, {budget['inspections']:,} inspections "
        f"after the reserve: {budget['required_inspections']:,} required, draw up to "
        f"{budget['draw_most']:,} (expected {budget['draw_expected']:,})"
    )
    seeds = iter(range(1_000_000))
    seconds, result = timed(lambda: draw(made, seed=next(seeds)), args.runs)  # type: ignore[arg-type]
    print(f"draw (selection, months, inspectors): {seconds:.3f} s")
    print(f"  {len(result.inspections):,} inspections planned")  # type: ignore[attr-defined]
    seconds, text = timed(lambda: plan_json(result), args.runs)  # type: ignore[arg-type]
    print(f"JSON: {seconds:.3f} s ({len(text.encode()) / 1e6:.1f} MB)")  # type: ignore[union-attr]

    redline = ROOT / ".venv" / "bin" / "redline"
    if not redline.exists():
        print("CLI: skipped (no .venv/bin/redline)")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        write_csv(targets, inspectors, path)

        def read() -> object:
            read_from = read_targets(decode((path / "targets.csv").read_bytes(), "t"), "t")
            ids = {t.id for t in read_from}
            return read_inspectors(decode((path / "inspectors.csv").read_bytes(), "i"), ids)

        seconds, _ = timed(read, args.runs)
        print(f"reading the two CSV files: {seconds:.3f} s")
        command = [
            str(redline),
            "plan-inspections",
            "--year",
            "2027",
            "--seed",
            "42",
            "--targets",
            str(path / "targets.csv"),
            "--inspectors",
            str(path / "inspectors.csv"),
            "--output",
            str(path / "plan.json"),
        ]
        # A compute-only command: it needs no secret key and no database.
        env = {k: v for k, v in os.environ.items() if k != "REDLINE_SECRET_KEY"}

        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

        def start_up() -> object:
            return subprocess.run(
                [str(redline), "plan-inspections", "--help"], capture_output=True, env=env
            )

        seconds, _ = timed(start_up, args.runs)
        print(f"CLI process start-up alone (`redline plan-inspections --help`): {seconds:.2f} s")
        seconds, done = timed(run, args.runs)
        if done.returncode != 0:  # type: ignore[attr-defined]
            print(f"CLI: failed: {done.stderr.strip()}")  # type: ignore[attr-defined]
            return
        size = (path / "plan.json").stat().st_size
        print(
            f"CLI process (read CSV, plan, write plan.json of {size / 1e6:.1f} MB): {seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
