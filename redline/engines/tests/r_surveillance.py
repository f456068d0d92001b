"""R 'surveillance' for the tests that compare with it live: `make test` installs Debian's
r-cran-surveillance (1.20.3) when missing. Elsewhere those tests skip; in CI
(REDLINE_REQUIRE_SERVICES) they fail instead, so they never silently stop running."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache

import pytest


@cache
def installed() -> bool:
    if shutil.which("Rscript") is None:
        return False
    found = subprocess.run(
        ["Rscript", "-e", 'cat(as.character(packageVersion("surveillance")))'],
        capture_output=True,
        text=True,
    )
    return found.returncode == 0 and found.stdout.startswith("1.2")


def require() -> None:
    """Skip (or, in CI, fail) the calling test when R 'surveillance' 1.2x is missing."""
    if installed():
        return
    if os.environ.get("REDLINE_REQUIRE_SERVICES"):
        pytest.fail("R with 'surveillance' 1.20 is not installed (make test-deps installs it)")
    pytest.skip("R with 'surveillance' is not installed (make test-deps installs it)")


def run(script: str, stdin: str) -> list[str]:
    """The lines an R script prints, given `stdin`."""
    done = subprocess.run(
        ["Rscript", "-e", script], input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()
