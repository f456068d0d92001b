"""Benchmark: the risk engines at the issue's scale (GB 18218 grading, LEC/LS/MES scoring).

Grades a city's worth of installations (units) under GB 18218-2018: through the vectorised
core on prepared arrays; through the full path that the API and the pages use (a JSON-like
payload in, result dicts out) and its steps; from the payload to the command line's JSON
text; the JSON parsing of the input file and the general encoder's writing of the result;
and end to end through the command line (`redline hazard-sources grade --input F --output
G`, a process each run, start-up included; it writes the text in pieces as they are made).
Then it scores a million risk events with each default rule set (LEC, LS, MES). The engines
are framework-free: this needs no Django settings. Inputs are random but deterministic (numpy
default_rng(seed)). Prints the median and minimum wall time and the median CPU time of
several runs; asserts nothing.

    .venv/bin/python benchmarks/risk_engines.py [--seed 1] [--installations 100000]
        [--events 1000000] [--repeat 5] [--cli-runs 5] [--part all|gb18218|methods]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from redline.commands import write_output  # noqa: E402  (no Django either)
from redline.engines.gb18218 import (  # noqa: E402
    KINDS,
    Tables,
    grade_arrays,
    grade_batch,
    grade_payload,
    grade_payload_json,
    parse_units,
    resolve_substance,
)
from redline.engines.risk_methods import colour_counts  # noqa: E402
from redline.risk import standards  # noqa: E402  (imports the engines only, no Django)

METHODS = ("LEC", "LS", "MES")
# Share of substance lines that name a Table 1 substance; the rest give a Table 2 category.
NAMED_SHARE = 0.7
# q / Q of one substance line is log-normal: median exp(-2.5) = 0.08, so that a unit with
# several substances is a major hazard installation (S >= 1) now and then, not always.
RATIO_MU, RATIO_SIGMA = -2.5, 1.3


REDLINE = Path(sys.executable).with_name("redline")


class Samples(list[float]):
    """Wall seconds of each run, with the CPU seconds of each in `cpu`."""

    cpu: list[float]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Samples, Any]:
    """Seconds of each of `repeat` calls, and the last call's result."""
    samples = Samples()
    samples.cpu = []
    result = None
    for _ in range(repeat):
        result = None  # drop the previous result before the next run
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        samples.append(time.perf_counter() - started)
        samples.cpu.append(time.process_time() - cpu)
    return samples, result


def paused(fn: Callable[[], Any]) -> Callable[[], Any]:
    """`fn` run with the cyclic garbage collector paused."""

    def run() -> Any:
        gc.disable()
        try:
            return fn()
        finally:
            gc.enable()

    return run


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(command: list[str], runs: int) -> tuple[Samples, int]:
    """Seconds of each of `runs` runs of `command` (a process each), and its exit status."""
    samples = Samples()
    samples.cpu = []
    # no Redline or Django settings: the command computes from its files alone
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    status = 0
    for _ in range(runs):
        started, cpu = time.perf_counter(), children_cpu()
        status = subprocess.run(command, env=env, check=False).returncode
        samples.append(time.perf_counter() - started)
        samples.cpu.append(children_cpu() - cpu)
    return samples, status


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def catalogue(tables: Tables, rng: np.random.Generator) -> list[dict[str, Any]]:
    """One payload template per Table 1 row, then one per Table 2 category.

    A Table 1 substance is identified by CAS, by name or by row (in turn, where that
    identifies it uniquely; rows sharing a CAS number or lacking one go by row). One
    without a Table 3 entry also gets a hazard category (a W category), so that its
    beta comes from Table 4 and grading succeeds.
    """
    w_categories = [symbol for symbol in tables.categories if symbol.startswith("W")]
    templates: list[dict[str, Any]] = []
    for position, substance in enumerate(tables.named):
        template: dict[str, Any]
        mode = position % 3
        cas = substance.cas[0] if substance.cas else None
        if mode == 0 and cas and tables.named_by_cas(cas) == [substance]:
            template = {"cas": cas}
        elif mode == 1 and tables.named_by_name(substance.name_zh) == [substance]:
            template = {"name": substance.name_zh}
        else:
            template = {"row": substance.row}
        if tables.toxic_gas(cas, substance.name_zh) is None:
            template["category"] = w_categories[int(rng.integers(len(w_categories)))]
        templates.append(template)
    for symbol in tables.categories:
        templates.append({"category": symbol})
    return templates


def build_units(
    tables: Tables, templates: list[dict[str, Any]], n_units: int, rng: np.random.Generator
) -> dict[str, Any]:
    """The same units twice: as prepared arrays for the core and as a JSON-like payload."""
    n_named = len(tables.named)
    n_categories = len(templates) - n_named
    # Q and beta of each template, resolved once by the engine itself (not timed).
    resolved = [
        resolve_substance(tables, "catalogue", i, {**t, "tonnes": 1.0})[1]
        for i, t in enumerate(templates)
    ]
    threshold_of = np.array([line.threshold for line in resolved], dtype=np.float64)
    beta_of = np.array(
        [np.nan if line.beta is None else line.beta for line in resolved], dtype=np.float64
    )

    counts = rng.integers(1, 7, size=n_units)  # 1-6 substances per unit
    n_lines = int(counts.sum())
    unit_index = np.repeat(np.arange(n_units, dtype=np.int64), counts)
    named = rng.random(n_lines) < NAMED_SHARE
    item = np.where(
        named,
        rng.integers(0, n_named, size=n_lines),
        n_named + rng.integers(0, n_categories, size=n_lines),
    )
    ratio = rng.lognormal(RATIO_MU, RATIO_SIGMA, size=n_lines)
    q = np.maximum(np.round(ratio * threshold_of[item], 3), 0.001)  # tonnes, to the kg
    people = rng.integers(0, 301, size=n_units).astype(np.int64)  # 0-300 people
    kinds = rng.integers(0, len(KINDS), size=n_units)

    q_list, item_list = q.tolist(), item.tolist()
    units = []
    start = 0
    for i, count in enumerate(counts.tolist()):
        substances = [
            {**templates[item_list[j]], "tonnes": q_list[j]} for j in range(start, start + count)
        ]
        start += count
        units.append(
            {
                "id": f"U{i + 1:06d}",
                "kind": KINDS[kinds[i]],
                "people_exposed": int(people[i]),
                "substances": substances,
            }
        )
    return {
        "payload": {"units": units},
        "unit_index": unit_index,
        "q": q,
        "threshold": threshold_of[item],
        "beta": beta_of[item],
        "people": people,
        "named_lines": int(named.sum()),
        "n_lines": n_lines,
    }


def row(label: str, samples: Samples, count: int, unit: str) -> str:
    median = statistics.median(samples)
    return (
        f"{label:<60} {median:>9.4f} {min(samples):>9.4f} {statistics.median(samples.cpu):>9.4f}"
        f" {count / median:>12,.0f} {unit}/s"
    )


def bench_gb18218(tables: Tables, args: argparse.Namespace, rng: np.random.Generator) -> dict:
    started = time.perf_counter()
    data = build_units(tables, catalogue(tables, rng), args.installations, rng)
    payload = data["payload"]
    work = Path(tempfile.mkdtemp(prefix="gb18218-", dir=args.work_dir))
    source, target = work / "units.json", work / "result.json"
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    source.write_text(text, encoding="utf-8")
    built = time.perf_counter() - started
    n = args.installations
    arrays = (data["unit_index"], data["q"], data["threshold"], data["beta"], data["people"])

    core_samples, core = timed(lambda: grade_arrays(tables, *arrays), args.repeat)
    full_samples, full = timed(lambda: grade_payload(tables, payload), args.repeat)
    # the steps, as grade_payload runs them: without the cyclic garbage collector
    parse_samples, batch = timed(paused(lambda: parse_units(tables, payload)), args.repeat)
    grade_samples, graded = timed(paused(lambda: grade_batch(tables, batch)), args.repeat)
    dicts_samples, _ = timed(paused(graded.as_dicts), args.repeat)
    json_samples, body = timed(lambda: grade_payload_json(tables, payload), args.repeat)
    write_samples, _ = timed(paused(graded.as_json), args.repeat)
    # what the command line does with the graded units: each piece written as it is made
    pieces_samples, _ = timed(
        paused(lambda: write_output(graded.json_pieces(), str(target), ".bench-", print)),
        args.repeat,
    )
    loads_samples, _ = timed(lambda: json.loads(text), args.repeat)
    dumps_samples, dumped = timed(
        lambda: json.dumps(full, ensure_ascii=False, indent=2), args.repeat
    )
    command = [str(REDLINE), "hazard-sources", "grade", "--input", str(source)]
    cli_samples, status = timed_process([*command, "--output", str(target)], args.cli_runs)
    same = status == 0 and target.read_text(encoding="utf-8") == body + "\n"

    _s, is_major, _alpha, _r, grade = core
    grades = np.bincount(grade[is_major], minlength=5)
    out = full["units"]
    agree = sum(
        1
        for i, unit in enumerate(out)
        if unit["is_major"] == bool(is_major[i])
        and unit["grade"] == (int(grade[i]) if is_major[i] else None)
    )
    majors = int(is_major.sum())
    print(
        f"GB 18218-2018 grading: {n:,} units, {data['n_lines']:,} substance lines "
        f"({data['named_lines'] / data['n_lines']:.0%} Table 1 rows by CAS/name/row, "
        f"the rest Table 2 categories), 1-6 substances and 0-300 people per unit; "
        f"input file {len(text.encode()) / 1e6:.0f} MB, result {len(body.encode()) / 1e6:.0f} MB; "
        f"inputs built in {built:.1f} s (not timed)."
    )
    print(
        f"Major hazard installations: {majors:,} ({majors / n:.1%}); grade 1: {grades[1]:,}, "
        f"2: {grades[2]:,}, 3: {grades[3]:,}, 4: {grades[4]:,}. "
        f"Core and full path agree on is_major and grade for {agree:,} of {n:,} units; "
        f"the JSON text is json.dumps of the result dicts: {'yes' if body == dumped else 'NO'}; "
        f"the command line wrote the same text: {'yes' if same else f'NO (exit {status})'}."
    )
    print(
        f"Median and minimum wall time and median CPU time of {args.repeat} runs "
        f"({args.cli_runs} for the command line); load average before: "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}:\n"
    )
    print(f"{'path':<60} {'median s':>9} {'min s':>9} {'CPU s':>9} {'throughput':>12}")
    print(row("(a) core: grade_arrays on prepared arrays", core_samples, n, "units"))
    print(row("(b) full path: grade_payload (payload -> result dicts)", full_samples, n, "units"))
    print(row("    of which parse_units (check, resolve names/CAS)", parse_samples, n, "units"))
    print(row("    of which grade_batch (arrays, core, rounding)", grade_samples, n, "units"))
    print(row("    of which Graded.as_dicts (result dicts)", dicts_samples, n, "units"))
    print(row("(c) grade_payload_json (payload -> JSON text, indent 2)", json_samples, n, "units"))
    print(row("    of which Graded.as_json (the text)", write_samples, n, "units"))
    print(
        row("    Graded.json_pieces written to a file, piece by piece", pieces_samples, n, "units")
    )
    print(row("(d) json.loads of the input file's text", loads_samples, n, "units"))
    print(
        row(
            "    json.dumps(result dicts, indent=2) (the general encoder)",
            dumps_samples,
            n,
            "units",
        )
    )
    print(
        row("(e) command line: redline hazard-sources grade (a process)", cli_samples, n, "units")
    )
    target.unlink(missing_ok=True)
    source.unlink()
    work.rmdir()
    return {
        "units": n,
        "lines": data["n_lines"],
        "majors": majors,
        "seconds": sum(core_samples) + sum(full_samples),
    }


def bench_methods(args: argparse.Namespace, rng: np.random.Generator) -> dict:
    n = args.events
    print(
        f"\nRisk-event scoring: {n:,} events per method, factor values drawn uniformly from "
        f"the values each default rule set allows; RuleSet.assess = score (check each value "
        f"is allowed, multiply) + classify (level and band code).\n"
        f"Median and minimum of {args.repeat} runs:\n"
    )
    print(
        f"{'method':<6} {'rule set':<12} {'factors':<8} {'median s':>10} {'min s':>10} "
        f"{'events/s':>14} {'score s':>9} {'classify s':>11}  levels 1/2/3/4"
    )
    total = 0.0
    for method in METHODS:
        # the national default (standards.default_rule_set without a city's choice, which
        # would need Django settings)
        rule_set = next(
            r for r in standards.rule_sets().values() if r.method == method and r.default
        )
        values = {
            name: rng.choice(np.array(allowed, dtype=np.float64), size=n)
            for name, allowed in rule_set.factors.items()
        }
        samples, assessed = timed(partial(rule_set.assess, values), args.repeat)
        score_samples, scores = timed(partial(rule_set.score, values), args.repeat)
        classify_samples, _ = timed(partial(rule_set.classify, scores), args.repeat)
        counts = colour_counts(assessed[1])
        median = statistics.median(samples)
        total += sum(samples)
        print(
            f"{method:<6} {rule_set.id:<12} {'x'.join(rule_set.factors):<8} {median:>10.4f} "
            f"{min(samples):>10.4f} {n / median:>14,.0f} "
            f"{statistics.median(score_samples):>9.4f} "
            f"{statistics.median(classify_samples):>11.4f}  "
            + "/".join(f"{counts[level]:,}" for level in (1, 2, 3, 4))
        )
        del values, assessed, scores
    return {"events": n, "seconds": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--installations", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument("--part", choices=("all", "gb18218", "methods"), default="all")
    parser.add_argument("--work-dir", help="Where to write the input and result files")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    wall = time.perf_counter()

    process_cpus = getattr(os, "process_cpu_count", os.cpu_count)()
    print(
        f"Machine: {cpu_model()}; {os.cpu_count()} CPUs ({process_cpus} usable); "
        f"Python {platform.python_version()}; numpy {np.__version__}; "
        f"Django imported: {'yes' if 'django' in sys.modules else 'no'}; seed {args.seed}.\n"
    )
    started = time.perf_counter()
    tables = standards.gb18218()
    rule_sets = standards.rule_sets()
    print(
        f"Loaded GB 18218-2018 tables ({len(tables.named)} Table 1 rows, "
        f"{len(tables.categories)} Table 2 categories) and {len(rule_sets)} rule sets "
        f"in {(time.perf_counter() - started) * 1000:.0f} ms.\n"
    )

    graded = bench_gb18218(tables, args, rng) if args.part != "methods" else None
    scored = bench_methods(args, rng) if args.part != "gb18218" else None

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    totals = []
    if graded:
        totals.append(
            f"graded {graded['units']:,} units ({graded['lines']:,} substance lines, "
            f"{graded['majors']:,} major) {args.repeat}x on each of two paths in "
            f"{graded['seconds']:.1f} s"
        )
    if scored:
        totals.append(
            f"scored {len(METHODS)} x {scored['events']:,} events {args.repeat}x in "
            f"{scored['seconds']:.1f} s"
        )
    print(
        f"\nTotals: {'; '.join(totals)}; wall {time.perf_counter() - wall:.0f} s; "
        f"peak RSS {peak_mb:,.0f} MB (this process)."
    )


if __name__ == "__main__":
    main()
