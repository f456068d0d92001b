"""Benchmark: the outbreak-detection engine against R 'surveillance', through `redline
detect` as a process and in-process, and at province scale.

1. Side by side with R on the reference data sets (../shared/reference/surveillance, or
   --reference): for each data set and configuration, the same series and control list run
   through R (`Rscript`, timed inside R around the algorithm call only, after the package
   has loaded), through Redline's engine in-process (all series of a data set through the
   method, the way `redline detect` runs it) and through the whole `redline detect` process
   (start-up, reading the CSV, writing the result). Each data set is measured as it is and
   repeated --copies times in one input file (the shape of a city's file: many series); R's
   time for the copies is its single-copy time times --copies (its algorithms loop over the
   series one by one). Prints the times and the ratios R / Redline.
   R is skipped, with a note, when `Rscript` or the package is not installed (Debian:
   `apt-get install r-cran-surveillance`).
2. Many short series with Noufaily's settings: --short-series weekly series of
   --short-weeks weeks (simulated, seeded), R and Redline on the same file.
3. Start-up: `redline detect --help` and a 9-row file, as processes (wall and CPU), and
   whether an EARS run imports scipy (it need not). --start-up-only runs this alone.
4. 10,000 weekly series of 10 years (simulated seasonal negative-binomial counts, seeded)
   through `farrington-flexible`, all series in shared batches as the daily run does: the
   defaults (R's out-of-the-box configuration) and, with --noufaily, Noufaily's improved
   configuration (noPeriods 10, pastWeeksNotIncluded 26, nbPlugin).

One BLAS thread everywhere (R, the engine and the process). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/detection.py [--series 10000] [--years 10] [--noufaily]
        [--copies 20] [--short-series 240] [--short-weeks 290] [--reference PATH]
        [--repeat 3] [--skip-r] [--skip-province]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one process, one thread, like R
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import csv
import platform
import resource
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


REDLINE = ROOT / ".venv" / "bin" / "redline"


def cli_arguments(name: str) -> list[str]:
    method, params, _ = CONFIGS[name]
    found = ["--method", method]
    for key, value in params.items():
        found += ["--param", f"{key}={value}"]
    return found


def process_seconds(command: list[str], repeat: int) -> float:
    """Median wall time of the whole process (it must succeed)."""
    return process_times(command, repeat)[0]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_times(command: list[str], repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of the whole process (it must succeed)."""
    times, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), children_cpu()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        cpu.append(children_cpu() - used)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return statistics.median(times), statistics.median(cpu)


def cli_seconds(name: str, input_csv: Path, repeat: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "result.csv"
        command = [str(REDLINE), "detect", *cli_arguments(name), "--input", str(input_csv)]
        return process_seconds([*command, "--output", str(output)], repeat)


def write_copies(input_csv: Path, copies: int, target: Path) -> Path:
    """The data set `copies` times in one file, each copy's series renamed."""
    with input_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series", "date", "count"])
        for copy in range(copies):
            writer.writerows((f"{row['series']}~{copy}", row["date"], row["count"]) for row in rows)
    return target


def write_series(data: list[np.ndarray], target: Path) -> Path:
    """Weekly series as `series,date,count` (Mondays from 2000-01-03)."""
    days = np.datetime64("2000-01-03") + 7 * np.arange(max(len(y) for y in data))
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series", "date", "count"])
        for number, counts in enumerate(data):
            writer.writerows((f"s{number}", str(days[t]), int(c)) for t, c in enumerate(counts))
    return target


def ratio(theirs: float | None, ours: float | None) -> str:
    return f"{theirs / ours:6.0f}x" if theirs and ours else "      -"


def side_by_side(reference: Path, repeat: int, copies: int, missing: str | None) -> list[float]:
    print(
        "\n1. Against R 'surveillance' on the reference data sets (seconds). R: median of "
        f"{repeat}, timed inside R around the call. Redline in-process (engine): median of "
        f"{max(5, repeat)} after a warm-up; `redline detect` process (CLI): median of {repeat}, "
        f"start-up included. x{copies}: the data set {copies} times in one file (R: its "
        f"single-copy time x {copies})."
    )
    if missing:
        print(f"   R: {missing} -- Redline's times only")
    print(
        f"   {'data set':17} {'configuration':29} {'R':>8} {'engine':>8} {'CLI':>7} "
        f"{'R/eng':>7} {'R/CLI':>7} | x{copies}: {'engine':>7} {'CLI':>7} {'R/eng':>7} "
        f"{'R/CLI':>7}"
    )
    cli_ratios = []
    for folder in sorted(p for p in reference.iterdir() if p.is_dir()):
        data, freq = read_input(folder / "input.csv")
        configs = [name for name in CONFIGS if (folder / f"{name}.csv").exists()]
        r_times = {} if missing else r_seconds(folder / "input.csv", freq, configs, repeat)
        with tempfile.TemporaryDirectory() as scratch:
            many = write_copies(folder / "input.csv", copies, Path(scratch) / "copies.csv")
            for name in configs:
                method, params, _ = CONFIGS[name]
                ours = engine_seconds(method, params, data, freq, repeat)
                if ours is None:
                    continue
                ours_many = engine_seconds(method, params, data * copies, freq, repeat)
                cli = cli_seconds(name, folder / "input.csv", repeat)
                cli_many = cli_seconds(name, many, repeat)
                theirs = r_times.get(name)
                theirs_many = theirs * copies if theirs else None
                if theirs_many:
                    cli_ratios.append(theirs_many / cli_many)
                r_text = f"{theirs:8.3f}" if theirs else "       -"
                print(
                    f"   {folder.name:17} {name:29} {r_text} {ours:8.4f} {cli:7.3f} "
                    f"{ratio(theirs, ours)} {ratio(theirs, cli)} | "
                    f"{' ' * len(str(copies))}  {ours_many:7.3f} {cli_many:7.3f} "
                    f"{ratio(theirs_many, ours_many)} {ratio(theirs_many, cli_many)}"
                )
    if cli_ratios:
        print(
            f"   R / CLI on x{copies}: median {statistics.median(cli_ratios):.0f}x, "
            f"lowest {min(cli_ratios):.0f}x, highest {max(cli_ratios):.0f}x"
        )
    return cli_ratios


def short_series(count: int, weeks: int, seed: int, repeat: int, missing: str | None) -> None:
    name = "farrington-flexible-noufaily"
    print(
        f"\n2. Many short series: {count} weekly series of {weeks} weeks (simulated, seed "
        f"{seed}), {name} (seconds; per series in brackets)"
    )
    data = [y[:weeks] for y in simulate(count, (weeks + 51) // 52, seed)]
    method, params, _ = CONFIGS[name]
    with tempfile.TemporaryDirectory() as scratch:
        path = write_series(data, Path(scratch) / "short.csv")
        theirs = None if missing else r_seconds(path, 52, [name], 1).get(name)
        ours = engine_seconds(method, params, data, 52, repeat)
        cli = cli_seconds(name, path, repeat)
    assert ours is not None

    def each(seconds: float) -> str:
        return f"{seconds:8.3f} ({seconds / count * 1000:6.2f} ms)"

    print(f"   R 'surveillance' (one run):   {each(theirs) if theirs else '-'}")
    print(f"   Redline engine, in-process:   {each(ours)}   R / engine {ratio(theirs, ours)}")
    print(f"   `redline detect` process:     {each(cli)}   R / CLI    {ratio(theirs, cli)}")


# Runs `redline` in the benchmark's interpreter, then prints whether scipy was imported.
SCIPY_PROBE = (
    "import sys; sys.argv = ['redline', *sys.argv[1:]]\n"
    "from redline.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "print('scipy' in sys.modules, file=sys.stderr)\n"
)


def start_up(repeat: int) -> None:
    print(
        f"\n3. Start-up of `redline detect` as a process (median of {repeat}: wall, and CPU "
        "(user + system) seconds)"
    )
    with tempfile.TemporaryDirectory() as scratch:
        tiny = Path(scratch) / "tiny.csv"
        tiny.write_text(
            "series,date,count\n"
            + "".join(
                f"a,{np.datetime64('2020-01-06') + np.timedelta64(7 * t, 'D')},{t % 3}\n"
                for t in range(9)
            )
        )
        rows = [
            ("Python alone (python -c pass)", [sys.executable, "-c", "pass"]),
            ("importing numpy alone", [sys.executable, "-c", "import numpy"]),
            (
                "importing the detection engine alone",
                [sys.executable, "-c", "import redline.engines.detection.run"],
            ),
            (
                "`redline detect --help` (before reading any input)",
                [str(REDLINE), "detect", "--help"],
            ),
        ]
        for method in ("ears-c1", "fixed"):
            command = ["detect", "--method", method, "--input", str(tiny)]
            rows.append(
                (f"`redline detect --method {method}` on a 9-row file", [str(REDLINE), *command])
            )
        for label, command in rows:
            wall, cpu = process_times(command, repeat)
            print(f"   {label + ':':<60} {wall:6.3f} s wall {cpu:6.3f} s CPU")
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                SCIPY_PROBE,
                "detect",
                "--method",
                "ears-c1",
                "--input",
                str(tiny),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    imported = probe.stderr.strip().splitlines()[-1:] == ["True"]
    print(f"   scipy imported by an EARS run: {'yes' if imported else 'no'}")


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
        f"\n4. {series:,} weekly series x {years} years through farrington-flexible "
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
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--short-series", type=int, default=240)
    parser.add_argument("--short-weeks", type=int, default=290)
    parser.add_argument("--noufaily", action="store_true")
    parser.add_argument("--skip-r", action="store_true")
    parser.add_argument("--skip-province", action="store_true")
    parser.add_argument(
        "--start-up-only", action="store_true", help="Only section 3 (start-up), in seconds"
    )
    parser.add_argument(
        "--reference", type=Path, default=ROOT.parent / "shared" / "reference" / "surveillance"
    )
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    if args.start_up_only:
        start_up(max(5, args.repeat))
        return
    missing = "skipped (--skip-r)" if args.skip_r else r_available()
    if args.reference.exists():
        side_by_side(args.reference, args.repeat, args.copies, missing)
    else:
        print(f"\n1. skipped: no reference data at {args.reference}")
    short_series(args.short_series, args.short_weeks, args.seed, args.repeat, missing)
    start_up(max(5, args.repeat))
    if not args.skip_province:
        province(args.series, args.years, args.seed, args.noufaily)


if __name__ == "__main__":
    main()
