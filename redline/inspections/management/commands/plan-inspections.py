"""`redline plan-inspections --year 2027 --seed 42 [--targets targets.csv --inspectors
inspectors.csv] [--output plan.json]`

The double-random, risk-graded annual inspection plan (contract in docs/cli.md), declared in
`redline.commands`. With the two files it plans from them and needs no database (`redline`
then runs it without Django). Without them it plans from the database through
`redline.inspections.planning.plan_from_database(year=, seed=)`.

Bad input, or inputs that cannot satisfy a hard rule, exit non-zero with a message naming the
line and field, or the rule and the target or inspectors, and write nothing. The output file
is written whole or not at all.
"""

from __future__ import annotations

from typing import Any

from redline.commands import PLAN_INSPECTIONS, plan_files
from redline.core.management.compute_command import ComputeCommand


class Command(ComputeCommand):
    compute = PLAN_INSPECTIONS

    def body(self, options: dict[str, Any]) -> str:
        from redline.inspections.planning import plan_from_database

        return plan_files(options, from_database=plan_from_database)
