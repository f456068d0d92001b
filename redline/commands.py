"""The commands that compute from their input files and need nothing else (contracts in
docs/cli.md): `redline detect`, `redline hazard-sources grade`, `redline accidents classify`
and `redline plan-inspections` with its two files.

They are declared here once, without Django: `redline` runs them straight from this module
(`run`), so they start at once -- no settings, no apps, no system checks, no URL
configuration, no database. Each app's management command is the same declaration adapted to
Django (`redline.core.management.compute`), for `redline help` and `call_command`.

A command reads its options (an argparse namespace as a dict), computes, and returns the text
to write: to `--output` (a temporary file beside it, then a rename: never half a result) or
to standard output. Bad input raises `CommandFailed` with a message naming the option, row,
unit or field; the process then exits with status 1 and writes nothing.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any


class CommandFailed(Exception):
    """Bad input or an impossible request: the message is shown, nothing is written."""


@dataclass(frozen=True)
class Compute:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[dict[str, Any]], str]  # options -> the text to write
    prefix: str  # of the temporary file written beside --output
    # options -> the same text in pieces, for a result too large to hold whole: the command
    # line writes each piece as it comes. Bad input is refused before the first piece.
    pieces: Callable[[dict[str, Any]], Iterable[str]] | None = None


def read_text(source: str, option: str = "--input") -> str:
    """A UTF-8 input file's text, or standard input's for `-`."""
    try:
        if source == "-":
            return sys.stdin.read()
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CommandFailed(f"{option}: cannot read {source}: {reason}") from None


def write_output(
    body: str | Iterable[str], target: str | None, prefix: str, write: Callable[[str], object]
) -> None:
    """`body` (a text, or its pieces) whole to `target` (written beside it, then renamed),
    else through `write` (standard output)."""
    pieces = [body] if isinstance(body, str) else body
    if not target:
        for piece in pieces:
            write(piece)
        return
    path = Path(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    except OSError as error:
        raise CommandFailed(f"--output: cannot write {target}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(pieces)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_input(text: str, **kwargs: Any) -> Any:
    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError as error:
        raise CommandFailed(
            f"--input: not valid JSON (line {error.lineno}, column {error.colno})"
        ) from None


def _json_output(result: Any) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2) + "\n"


def _input_output(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--input", required=True, help=f"{what} file, or - for standard input")
    parser.add_argument("--output", help="Where to write the result (default: stdout)")


def _action(parser: argparse.ArgumentParser, name: str, help: str, what: str) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    _input_output(actions.add_parser(name, help=help), what)


# -- redline detect ----------------------------------------------------------------------------


def _detect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", required=True)
    _input_output(parser, "CSV")
    parser.add_argument(
        "--param", action="append", default=[], help="NAME=VALUE, R 'surveillance' names"
    )


def _detect(options: dict[str, Any]) -> str:
    from redline.engines.detection.run import DetectionInputError, detect

    text = read_text(options["input"])
    try:
        return detect(text, options["method"], options["param"])
    except DetectionInputError as error:
        raise CommandFailed(str(error)) from None


DETECT = Compute(
    name="detect",
    help="Outbreak detection over series,date,count CSV (see docs/cli.md).",
    add_arguments=_detect_arguments,
    run=_detect,
    prefix=".detect-",
)


# -- redline hazard-sources grade --------------------------------------------------------------


def _grade_pieces(options: dict[str, Any]) -> Iterable[str]:
    from redline.engines.gb18218 import GradingError, grade_payload_pieces
    from redline.risk.standards import gb18218

    try:
        # The input is graded here; its parsed payload is not kept while the text is written.
        pieces = grade_payload_pieces(gb18218(), _json_input(read_text(options["input"])))
    except GradingError as error:
        raise CommandFailed(str(error)) from None
    return itertools.chain(pieces, ["\n"])


HAZARD_SOURCES = Compute(
    name="hazard-sources",
    help="Major hazard installations (GB 18218-2018): `grade --input units.json`.",
    add_arguments=lambda parser: _action(
        parser, "grade", "Identify and grade units (JSON in, JSON out, same order).", "JSON"
    ),
    run=lambda options: "".join(_grade_pieces(options)),
    prefix=".grade-",
    pieces=_grade_pieces,
)


# -- redline accidents classify ----------------------------------------------------------------


def _classify(options: dict[str, Any]) -> str:
    from redline.engines.accident_level import AccidentInputError, classify_payload

    # Amounts are read as decimals: 9999999.99 stays below 10,000,000 exactly.
    payload = _json_input(read_text(options["input"]), parse_float=Decimal)
    try:
        result = classify_payload(payload)
    except AccidentInputError as error:
        raise CommandFailed(str(error)) from None
    return _json_output(result)


ACCIDENTS = Compute(
    name="accidents",
    help="Production safety accidents (Decree 493): `classify --input accidents.json`.",
    add_arguments=lambda parser: _action(
        parser, "classify", "The level of each accident (JSON in, JSON out, same order).", "JSON"
    ),
    run=_classify,
    prefix=".levels-",
)


# -- redline plan-inspections (from files) -----------------------------------------------------


def _plan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", required=True, help="The plan's year, e.g. 2027")
    parser.add_argument("--seed", required=True, help="The draw's seed, a whole number >= 0")
    parser.add_argument("--targets", help="targets.csv (with --inspectors)")
    parser.add_argument("--inspectors", help="inspectors.csv (with --targets)")
    parser.add_argument("--output", help="Where to write plan.json (default: stdout)")


def _whole(text: str) -> int | str:
    """The option's whole number, or its text as given (refused, named, by the engine)."""
    stripped = text.strip()
    return int(stripped) if stripped.isascii() and stripped.isdigit() else text


def plan_files(options: dict[str, Any], from_database: Callable[..., Any] | None = None) -> str:
    """plan.json from `--targets` and `--inspectors`; without both, from `from_database(year=,
    seed=)` when given (the Django command's path), else refused."""
    from redline.engines.inspection_plan import (
        PlanInfeasible,
        PlanInputError,
        check_seed,
        check_year,
        plan,
        plan_json,
    )
    from redline.engines.plan_csv import decode, read_inspectors, read_targets
    from redline.inspections.plan_data import plan_rules

    def read(path: str, option: str) -> str:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandFailed(f"{option}: cannot read {path}: {error.strerror}") from None
        return decode(data, path)

    targets_file, inspectors_file = options.get("targets"), options.get("inspectors")
    try:
        year = check_year(_whole(options["year"]))
        seed = check_seed(_whole(options["seed"]))
        if targets_file and not inspectors_file:
            raise CommandFailed("--inspectors is required with --targets")
        if inspectors_file and not targets_file:
            raise CommandFailed("--targets is required with --inspectors")
        if not targets_file or not inspectors_file:
            if from_database is None:
                raise CommandFailed("give --targets and --inspectors")
            result = from_database(year=year, seed=seed)
        else:
            targets = read_targets(read(targets_file, "--targets"), targets_file)
            inspectors = read_inspectors(
                read(inspectors_file, "--inspectors"), {t.id for t in targets}, inspectors_file
            )
            result = plan(targets, inspectors, plan_rules(), year=year, seed=seed)
    except PlanInputError as error:
        raise CommandFailed(str(error)) from None
    except PlanInfeasible as error:
        raise CommandFailed(f"cannot plan: {error}") from None
    return plan_json(result)


PLAN_INSPECTIONS = Compute(
    name="plan-inspections",
    help="Double-random, risk-graded annual inspection plan (see docs/cli.md).",
    add_arguments=_plan_arguments,
    run=plan_files,
    prefix=".plan-",
)


COMMANDS = {c.name: c for c in (DETECT, HAZARD_SOURCES, ACCIDENTS, PLAN_INSPECTIONS)}


def computes_only(argv: list[str]) -> bool:
    """Whether `argv` (`redline NAME ...`) runs a command that reads only its input files.
    `plan-inspections` without `--targets` plans from the database: not compute-only."""
    if len(argv) < 2 or argv[1] not in COMMANDS:
        return False
    if argv[1] == PLAN_INSPECTIONS.name:
        return any(arg == "--targets" or arg.startswith("--targets=") for arg in argv[2:])
    return True


def run(argv: list[str]) -> int:
    """`redline NAME ARGS...` for a compute-only command: the exit status."""
    command = COMMANDS[argv[1]]
    parser = argparse.ArgumentParser(prog=f"redline {command.name}", description=command.help)
    command.add_arguments(parser)
    options = vars(parser.parse_args(argv[2:]))
    # A process that reads one input, computes and ends: the cycle collector, which fires
    # again and again while millions of small objects are built (a large JSON input), frees
    # nothing it needs.
    gc.disable()
    try:
        body = command.pieces(options) if command.pieces else command.run(options)
        write_output(body, options.get("output"), command.prefix, sys.stdout.write)
    except CommandFailed as error:
        print(f"CommandError: {error}", file=sys.stderr)
        return 1
    return 0
