"""The Python lock files pin what pyproject.toml asks for: every dependency (runtime in both
files, development in dev.lock) is locked at a version its range admits, with hashes. A
dependency added to pyproject.toml without `make lock` fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
PINNED = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


def locked(name: str) -> dict[str, str]:
    path = ROOT / "requirements" / name
    assert path.exists(), f"{path} is missing: run `make lock`"
    found = {}
    text = path.read_text()
    for line in text.splitlines():
        match = PINNED.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    assert "--hash=sha256:" in text
    return found


def wanted(*groups: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    for group in groups:
        requirements += [Requirement(r) for r in project["optional-dependencies"][group]]
    return requirements


@pytest.mark.parametrize(("lock", "groups"), [("base.lock", ()), ("dev.lock", ("dev",))])
def test_every_dependency_is_locked_within_its_range(lock, groups):
    pins = locked(lock)
    for requirement in wanted(*groups):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{lock} has {name}=={pins[name]}, outside {requirement}: run `make lock`"
        )
