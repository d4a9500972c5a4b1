"""kstatus (sigs.k8s.io/cli-utils, the library Flux's health checks and kpt use) reads our
conditions as we mean them: the captured Ready objects are Current, the in-progress ones
InProgress and the Stalled ones Failed. The checker is built once from its Go module
(devcluster/checktools.py); without Go the test is skipped, saying so."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from it4it_operator.devcluster import checktools

STATUS_DATA = Path(__file__).resolve().parents[2] / "data" / "status"
INDEX: list[dict[str, str]] = yaml.safe_load((STATUS_DATA / "index.yaml").read_text())

KSTATUS = {
    "Ready": "Current",
    "InProgress": "InProgress",
    "Stalled": "Failed",
    # An instance's unhealthy workloads are Ready=False without Stalled (the operator is
    # remediating through Operate), which kstatus reads as InProgress.
    "Degraded": "InProgress",
    # kstatus has no Suspended: scaled to zero on purpose is what was asked, so Current.
    "Suspended": "Current",
}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, str]:
    """The kstatus verdict of every captured file, from one run of the checker."""
    try:
        kstatus = checktools.ensure("kstatus")
    except checktools.BuildError as exc:
        pytest.skip(f"kstatus checker cannot be built: {exc}")
    files = [str(STATUS_DATA / e["file"]) for e in INDEX]
    out = subprocess.run([str(kstatus), *files], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == len(files), out.stdout + out.stderr
    return {e["file"]: line.split(" ", 2)[1] for e, line in zip(INDEX, lines, strict=True)}


@pytest.mark.parametrize("entry", INDEX, ids=[f"{e['file']} captured {e['state']}" for e in INDEX])
def test_kstatus_agrees_with_the_state_each_object_was_captured_in(
    verdicts: dict[str, str], entry: dict[str, str]
) -> None:
    assert verdicts[entry["file"]] == KSTATUS[entry["state"]]


def test_a_spec_change_not_yet_observed_is_in_progress_for_kstatus(
    verdicts: dict[str, str], tmp_path: Path
) -> None:
    ready = next(e for e in INDEX if e["kind"] == "Subscription" and e["state"] == "Ready")
    obj = yaml.safe_load((STATUS_DATA / ready["file"]).read_text())
    obj["metadata"]["generation"] = obj["status"]["observedGeneration"] + 1
    (tmp_path / "changed.yaml").write_text(yaml.safe_dump(obj))
    out = subprocess.run(
        [str(checktools.binary("kstatus")), str(tmp_path / "changed.yaml")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split(" ", 2)[1] == "InProgress"
