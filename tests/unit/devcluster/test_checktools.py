"""Where the check tools (kstatus, promtool) come from, without building anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from it4it_operator.devcluster import checktools


def test_each_tool_is_cached_under_its_own_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IT4IT_CACHE", str(tmp_path))
    assert checktools.binary("kstatus") == (
        tmp_path / f"kstatus-v{checktools.KSTATUS_VERSION}" / "bin" / "kstatus"
    )
    assert checktools.binary("promtool") == (
        tmp_path / f"promtool-v{checktools.PROMETHEUS_VERSION}" / "bin" / "promtool"
    )
    with pytest.raises(ValueError, match="unknown check tool"):
        checktools.binary("kubectl")


def test_a_cached_tool_is_used_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IT4IT_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    built = checktools.binary("kstatus")
    built.parent.mkdir(parents=True)
    built.write_text("#!/bin/sh\n")
    assert checktools.ensure("kstatus") == built


def test_without_go_the_build_error_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IT4IT_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(checktools.BuildError, match="Go is needed"):
        checktools.ensure("promtool")
    assert checktools.main(["promtool"]) == 1
