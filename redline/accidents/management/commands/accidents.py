"""`redline accidents classify --input accidents.json [--output levels.json]`

The level of each accident by Decree 493 art. 3 (contract in docs/cli.md), declared in
`redline.commands` and computed by `redline.engines.accident_level`, the same engine the form,
the API and the import use. Bad input exits non-zero with a message naming the accident (its
id, or its index) and the field, and writes nothing. Needs no database.
"""

from __future__ import annotations

from redline.commands import ACCIDENTS
from redline.core.management.compute_command import ComputeCommand


class Command(ComputeCommand):
    compute = ACCIDENTS
