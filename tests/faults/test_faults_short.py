"""The short fault suite inside `make test`: 30 subscriptions, 10 kills, one of each other fault.

Prints the suite's table (and its seed: IT4IT_FAULTS_SEED=<seed> repeats the choices) and
fails on any invariant violation or lost change.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from faults.harness import Config
from faults.run import render, run_suite
from faults.scenarios import SCENARIOS

pytestmark = pytest.mark.cluster


@pytest.mark.timeout(900)
def test_the_short_fault_suite_finds_no_violation_and_loses_no_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = int(os.environ.get("IT4IT_FAULTS_SEED") or random.SystemRandom().randrange(2**31))
    config = Config(
        seed=seed, subscriptions=30, kills=10, restarts=1, scenarios=SCENARIOS, overrun=0.0
    )
    with capsys.disabled():
        print(f"\nfault suite, seed {seed} (IT4IT_FAULTS_SEED={seed} repeats it)", flush=True)
        started = time.monotonic()
        results, findings = run_suite(config, tmp_path)
        text = render(results, findings, config, took=time.monotonic() - started)
        print(text, flush=True)
    (tmp_path / "faults.md").write_text(text)
    violations = [f"{r.fault}: {v}" for r in results for v in r.violations]
    lost = [f"{r.fault}: {c}" for r in results for c in r.lost]
    assert not violations and not lost, f"seed {seed}\n{text}"
