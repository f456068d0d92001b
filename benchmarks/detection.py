"""Benchmark: the outbreak-detection engine against R 'surveillance', and at province scale.

1. Side by side with R on the reference data sets (../shared/reference/surveillance, or
   --reference): for each data set and configuration, the same series and control list run
   through R (`Rscript`, timed inside R around the algorithm call only, after the package
   has loaded) and through Redline's engine (the way `redline detect` runs it: all series
   of a data set through the method, single process, one BLAS thread). Prints both times
   and the ratio.
   R is skipped, with a note, when `Rscript` or the package is not installed (Debian:
   `apt-get install r-cran-surveillance`).
2. 10,000 weekly series of 10 years (simulated seasonal negative-binomial counts, seeded)
   through `farrington-flexible`, all series in shared batches as the daily run does: the
   defaults (R's out-of-the-box configuration) and, with --noufaily, Noufaily's improved
   configuration (noPeriods 10, pastWeeksNotIncluded 26, nbPlugin).

Prints figures; asserts nothing.

    .venv/bin/python benchmarks/detection.py [--series 10000] [--years 10] [--noufaily]
        [--reference PATH] [--repeat 3] [--skip-r]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one process, one thread, like R
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import csv
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redline.engines.detection import farrington as fr  # noqa: E402
from redline.engines.detection.run import METHODS, run_series  # noqa: E402

NOUFAILY = {
    "noPeriods": 10,
    "b": 4,
    "w": 5,
    "weightsThreshold": 2.58,
    "pastWeeksNotIncluded": 26,
    "pThresholdTrend": 1,
    "alpha": 0.1,
}
# name -> (Redline method, its parameters, the R call with `s` the sts object)
CONFIGS: dict[str, tuple[str, dict[str, object], str]] = {
    "ears-c1": ("ears-c1", {}, 'earsC(s, control = list(method = "C1"))'),
    "ears-c3": ("ears-c3", {}, 'earsC(s, control = list(method = "C3"))'),
    "farrington-1996": (
        "farrington",
        {"b": 5, "w": 3, "alpha": 0.05},
        "farrington(s, control = list(range = (freq * 5 + 3 + 1):nrow(s), b = 5, w = 3, "
        "alpha = 0.05))",
    ),
    "farrington-flexible-default": (
        "farrington-flexible",
        {},
        "farringtonFlexible(s, control = list())",
    ),
    "farrington-flexible-noufaily": (
        "farrington-flexible",
        {**NOUFAILY, "thresholdMethod": "nbPlugin"},
        "farringtonFlexible(s, control = list(noPeriods = 10, b = 4, w = 5, "
        "weightsThreshold = 2.58, pastWeeksNotIncluded = 26, pThresholdTrend = 1, "
        'thresholdMethod = "nbPlugin", alpha = 0.1))',
    ),
}

R_SCRIPT = r"""
suppressMessages(suppressWarnings(library(surveillance)))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
freq <- as.integer(args[2])
calls <- readLines(args[3])
names <- unique(d$series)
m <- sapply(names, function(n) d$count[d$series == n])
s <- sts(observed = m, frequency = freq, start = c(2000, 1))
for (line in calls) {
  parts <- strsplit(line, "\t")[[1]]
  times <- c()
  for (i in seq_len(as.integer(args[4]))) {
    t <- system.time(suppressWarnings(eval(parse(text = parts[2]))))[["elapsed"]]
    times <- c(times, t)
  }
  cat("RESULT", parts[1], median(times), "\n")
}
"""


def read_input(path: Path) -> tuple[list[np.ndarray], int]:
    series: dict[str, list[float]] = defaultdict(list)
    dates: dict[str, list[str]] = defaultdict(list)
    with path.open() as handle:
        for row in csv.DictReader(handle):
            series[row["series"]].append(float(row["count"]))
            dates[row["series"]].append(row["date"])
    first = next(iter(dates.values()))
    step = (np.datetime64(first[1]) - np.datetime64(first[0])).astype(int)
    freq = 52 if step == 7 else 365 if step == 1 else 12
    return [np.array(values) for values in series.values()], freq


def engine_seconds(
    method: str, params: dict[str, object], data: list[np.ndarray], freq: int, repeat: int
) -> float | None:
    spec = METHODS[method]
    times = []
    try:
        run_series(spec, data, params, freq, [[]] * len(data))  # warm-up, not timed
    except ValueError:
        return None
    for _ in range(max(5, repeat)):
        started = time.perf_counter()
        try:
            run_series(spec, data, params, freq, [[]] * len(data))
        except ValueError:
            return None  # the series is too short for this configuration
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def r_seconds(input_csv: Path, freq: int, configs: list[str], repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench.R"
        script.write_text(R_SCRIPT)
        calls = Path(folder) / "calls.txt"
        calls.write_text("".join(f"{name}\t{CONFIGS[name][2]}\n" for name in configs))
        done = subprocess.run(
            ["Rscript", str(script), str(input_csv), str(freq), str(calls), str(repeat)],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        print(f"   R failed: {done.stderr.strip().splitlines()[-1:]}")
        return {}
    found = {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            _, name, value = line.split()
            found[name] = float(value)
    return found


def r_available() -> str | None:
    if shutil.which("Rscript") is None:
        return "Rscript is not installed"
    check = subprocess.run(
        ["Rscript", "-e", "suppressMessages(library(surveillance))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        return "the R package 'surveillance' is not installed (apt-get install r-cran-surveillance)"
    return None


def side_by_side(reference: Path, repeat: int, skip_r: bool) -> None:
    print(
        "\n1. Against R 'surveillance' on the reference data sets (seconds; R: median of "
        f"{repeat}, timed inside R around the call; Redline: median of {max(5, repeat)} "
        "after a warm-up)"
    )
    missing = "skipped (--skip-r)" if skip_r else r_available()
    if missing:
        print(f"   R: {missing} -- Redline's times only")
    print(
        f"   {'data set':18} {'configuration':30} {'periods':>8} {'R':>9} {'Redline':>9} "
        f"{'ratio':>7}"
    )
    ratios = []
    for folder in sorted(p for p in reference.iterdir() if p.is_dir()):
        data, freq = read_input(folder / "input.csv")
        configs = [name for name in CONFIGS if (folder / f"{name}.csv").exists()]
        r_times = {} if missing else r_seconds(folder / "input.csv", freq, configs, repeat)
        for name in configs:
            method, params, _ = CONFIGS[name]
            ours = engine_seconds(method, params, data, freq, repeat)
            if ours is None:
                continue
            with (folder / f"{name}.csv").open() as handle:
                periods = sum(1 for _ in handle) - 1
            theirs = r_times.get(name)
            ratio = f"{theirs / ours:6.0f}x" if theirs else "      -"
            if theirs:
                ratios.append(theirs / ours)
            r_text = f"{theirs:9.3f}" if theirs else "        -"
            print(f"   {folder.name:18} {name:30} {periods:8d} {r_text} {ours:9.5f} {ratio}")
    if ratios:
        print(
            f"   speed ratio R / Redline: median {statistics.median(ratios):.0f}x, "
            f"lowest {min(ratios):.0f}x, highest {max(ratios):.0f}x"
        )


def simulate(series: int, years: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    weeks = np.arange(52 * years)
    level = rng.uniform(0.5, 30, series)[:, None]
    season = np.exp(0.6 * np.sin(2 * np.pi * weeks / 52 + rng.uniform(0, 6.3, (series, 1))))
    mean = level * season * np.exp(0.0003 * weeks)
    size = 4.0
    counts = rng.negative_binomial(size, size / (size + mean)).astype(float)
    return list(counts)


def province(series: int, years: int, seed: int, noufaily: bool) -> None:
    print(
        f"\n2. {series:,} weekly series x {years} years through farrington-flexible "
        "(all series in shared batches, one process, one thread)"
    )
    data = simulate(series, years, seed)
    runs = [("R defaults", fr.farrington_flexible_settings(freq=52))]
    if noufaily:
        runs.append(
            (
                "Noufaily (noPeriods 10, past 26, nbPlugin)",
                fr.farrington_flexible_settings(
                    freq=52, **{**NOUFAILY, "w": 3, "alpha": 0.05, "thresholdMethod": "nbPlugin"}
                ),
            )
        )
    for label, settings in runs:
        started = time.perf_counter()
        results = fr.run_many(data, settings)
        seconds = time.perf_counter() - started
        periods = sum(r.periods.size for r in results)
        alarms = int(sum(np.nansum(r.alarm) for r in results))
        started = time.perf_counter()
        fr.run_many(data, settings, last=1)
        newest = time.perf_counter() - started
        print(
            f"   {label}: every evaluated period ({periods:,}): {seconds:7.1f} s "
            f"({seconds / periods * 1e6:.0f} us a period, {alarms:,} alarms); "
            f"the newest week only (the daily run): {newest:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--noufaily", action="store_true")
    parser.add_argument("--skip-r", action="store_true")
    parser.add_argument(
        "--reference", type=Path, default=ROOT.parent / "shared" / "reference" / "surveillance"
    )
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    if args.reference.exists():
        side_by_side(args.reference, args.repeat, args.skip_r)
    else:
        print(f"\n1. skipped: no reference data at {args.reference}")
    province(args.series, args.years, args.seed, args.noufaily)


if __name__ == "__main__":
    main()
