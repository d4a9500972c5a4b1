"""The checked-in crds/ are exactly what the models generate: the models are the one source."""

from __future__ import annotations

from pathlib import Path

import pytest

from it4it_operator.api.crdgen import drift, generate, main, write
from it4it_operator.api.kinds import KINDS

CRDS = Path(__file__).resolve().parents[3] / "crds"
GENERATED = generate()
REGENERATE = "crds/ is stale: regenerate it with `it4it crds` (python -m it4it_operator.api.crdgen)"


def test_regenerating_in_memory_equals_the_checked_in_crds() -> None:
    assert drift(CRDS) == [], REGENERATE


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_each_checked_in_crd_is_byte_for_byte_generated(name: str) -> None:
    assert (CRDS / name).read_text(encoding="utf-8") == GENERATED[name], REGENERATE


def test_one_file_per_kind_named_after_the_crd() -> None:
    assert sorted(GENERATED) == sorted(f"{k.plural}.it4it.dev.yaml" for k in KINDS)


def test_generation_is_deterministic() -> None:
    assert generate() == GENERATED


def test_write_replaces_stale_crds_and_leaves_other_files(tmp_path: Path) -> None:
    (tmp_path / "gones.it4it.dev.yaml").write_text("stale", encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text("keep", encoding="utf-8")
    written = write(tmp_path)
    assert sorted(p.name for p in written) == sorted(GENERATED)
    assert not (tmp_path / "gones.it4it.dev.yaml").exists()
    assert (tmp_path / "kustomization.yaml").read_text(encoding="utf-8") == "keep"
    assert drift(tmp_path) == []


def test_check_mode_fails_on_drift_and_passes_after_writing(tmp_path: Path) -> None:
    assert main(["--check", str(tmp_path)]) == 1
    assert main([str(tmp_path)]) == 0
    assert main(["--check", str(tmp_path)]) == 0
