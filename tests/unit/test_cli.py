"""The `it4it` command's offline subcommands, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from it4it_operator.api import crdgen
from it4it_operator.cli import main


def test_plugins_lists_the_builtins_registered_as_entry_points(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TYPE", "NAME", "SOURCE", "HANDLES"]
    listed = {(line.split()[0], line.split()[1]) for line in lines[1:]}
    assert {("renderer", "inline"), ("health", "deployment"), ("runbook", "Reapply")} <= listed


def test_crds_writes_one_file_per_kind_equal_to_the_generator(tmp_path: Path) -> None:
    assert main(["crds", "--out", str(tmp_path)]) == 0
    written = {p.name: p.read_text() for p in tmp_path.glob("*.yaml")}
    assert written == crdgen.generate()
