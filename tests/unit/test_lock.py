"""The lock files (requirements/) still cover pyproject.toml: every dependency is pinned, inside
its range, with hashes, and the runtime lock agrees with the dev lock. A failure here means
`make lock` was forgotten after a change of the dependencies (requirements/README.md)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
DEV = [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"]]
BUILD = [
    Requirement(line)
    for line in (ROOT / "requirements" / "build.in").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?: ;.*)? \\$")


def pins(name: str) -> dict[str, set[str]]:
    """{package: versions} of a lock (a universal lock may pin one package per Python range)."""
    found: dict[str, set[str]] = {}
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if match := PIN.match(line):
            found.setdefault(canonicalize_name(match[1]), set()).add(match[2])
    return found


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [("lock.txt", RUNTIME), ("dev-lock.txt", RUNTIME + DEV + BUILD)],
    ids=["the runtime lock pins every runtime dependency", "the dev lock pins everything"],
)
def test_every_dependency_is_pinned_inside_its_range(lock: str, wanted: list[Requirement]) -> None:
    locked = pins(lock)
    wrong = [
        f"{req} (locked: {sorted(locked.get(canonicalize_name(req.name), set())) or 'missing'})"
        for req in wanted
        if not any(
            req.specifier.contains(v, prereleases=True)
            for v in locked.get(canonicalize_name(req.name), set())
        )
    ]
    assert not wrong, f"requirements/{lock} is stale, run `make lock`: {wrong}"


def test_the_runtime_lock_is_the_dev_locks_runtime_part() -> None:
    runtime, dev = pins("lock.txt"), pins("dev-lock.txt")
    differ = {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v}
    assert not differ, f"lock.txt and dev-lock.txt disagree, run `make lock`: {differ}"


@pytest.mark.parametrize("lock", ["lock.txt", "dev-lock.txt"])
def test_every_pin_carries_hashes(lock: str) -> None:
    lines = (ROOT / "requirements" / lock).read_text(encoding="utf-8").splitlines()
    unhashed = [
        line.split(" ")[0]
        for i, line in enumerate(lines)
        if PIN.match(line) and not lines[i + 1].strip().startswith("--hash=sha256:")
    ]
    assert not unhashed
