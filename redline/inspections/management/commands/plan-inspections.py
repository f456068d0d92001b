"""`redline plan-inspections --year 2027 --seed 42 [--targets targets.csv --inspectors
inspectors.csv] [--output plan.json]`

The double-random, risk-graded annual inspection plan (contract in docs/cli.md). With the two
files it plans from them and needs no database. Without them it plans from the database
through `redline.inspections.planning.plan_from_database(year=, seed=)`, which returns the
engine's `Plan` (or raises `PlanInputError` / `PlanInfeasible` as the file path does); until
that module exists the command says so and exits non-zero.

Bad input, or inputs that cannot satisfy a hard rule, exit non-zero with a message naming the
line and field, or the rule and the target or inspectors, and write nothing. The output file
is written whole or not at all.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.engines.inspection_plan import (
    Plan,
    PlanInfeasible,
    PlanInputError,
    check_seed,
    check_year,
    plan,
    plan_json,
)
from redline.engines.plan_csv import decode, read_inspectors, read_targets

DATABASE_PATH = "redline.inspections.planning"


class Command(BaseCommand):
    help = "Double-random, risk-graded annual inspection plan (see docs/cli.md)."
    # A computation: Django's system checks (which import every URLconf and view) add half a
    # second and would make it depend on parts of the site it never uses.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, help="The plan's year, e.g. 2027")
        parser.add_argument("--seed", required=True, help="The draw's seed, a whole number >= 0")
        parser.add_argument("--targets", help="targets.csv (with --inspectors)")
        parser.add_argument("--inspectors", help="inspectors.csv (with --targets)")
        parser.add_argument("--output", help="Where to write plan.json (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            year = check_year(_whole(options["year"]))
            seed = check_seed(_whole(options["seed"]))
            result = self._plan(options, year=year, seed=seed)
        except PlanInputError as error:
            raise CommandError(str(error)) from None
        except PlanInfeasible as error:
            raise CommandError(f"cannot plan: {error}") from None
        _write(plan_json(result), options.get("output"), self.stdout.write)

    def _plan(self, options: dict[str, Any], *, year: int, seed: int) -> Plan:
        targets_file, inspectors_file = options.get("targets"), options.get("inspectors")
        if targets_file and not inspectors_file:
            raise CommandError("--inspectors is required with --targets")
        if inspectors_file and not targets_file:
            raise CommandError("--targets is required with --inspectors")
        if not targets_file or not inspectors_file:
            if importlib.util.find_spec(DATABASE_PATH) is None:
                raise CommandError(
                    "planning from the database is not available yet: "
                    "give --targets and --inspectors"
                )
            module = importlib.import_module(DATABASE_PATH)
            result: Plan = module.plan_from_database(year=year, seed=seed)
            return result

        from redline.inspections.plan_data import plan_rules

        targets = read_targets(_read(targets_file, "--targets"), targets_file)
        inspectors = read_inspectors(
            _read(inspectors_file, "--inspectors"), {t.id for t in targets}, inspectors_file
        )
        return plan(targets, inspectors, plan_rules(), year=year, seed=seed)


def _whole(text: str) -> int | str:
    """The option's whole number, or its text as given (refused, named, by the engine)."""
    stripped = text.strip()
    return int(stripped) if stripped.isascii() and stripped.isdigit() else text


def _read(path: str, option: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{option}: cannot read {path}: {error.strerror}") from None
    return decode(data, path)


def _write(body: str, target: str | None, write: Any) -> None:
    if not target:
        write(body, ending="")
        return
    # A temporary file beside the target, then a rename: never half a plan.
    path = Path(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".plan-")
    except OSError as error:
        raise CommandError(f"--output: cannot write {target}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
