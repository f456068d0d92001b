"""`redline detect --method METHOD --input counts.csv --output result.csv [--param NAME=VALUE ...]`

Outbreak detection over `series,date,count` (contract in docs/cli.md), declared in
`redline.commands`. Bad input exits non-zero naming the row or parameter, and writes nothing.
Needs no database.
"""

from __future__ import annotations

from redline.commands import DETECT
from redline.core.management.compute_command import ComputeCommand


class Command(ComputeCommand):
    compute = DETECT
