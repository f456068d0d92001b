"""`redline hazard-sources grade --input units.json [--output result.json]`

Identifies and grades major hazard installations by GB 18218-2018 (contract in
docs/cli.md), declared in `redline.commands`. Bad input exits non-zero with a message naming
the unit and field, and writes nothing. Needs no database.
"""

from __future__ import annotations

from redline.commands import HAZARD_SOURCES
from redline.core.management.compute_command import ComputeCommand


class Command(ComputeCommand):
    compute = HAZARD_SOURCES
