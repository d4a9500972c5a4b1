"""Where the control plane's binaries come from, without building anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from it4it_operator.devcluster import tools


def test_binaries_under_kubebuilder_assets_are_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in ("kube-apiserver", "etcd", "kubectl"):
        (assets / name).write_text("#!/bin/sh\n")
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))
    monkeypatch.setenv("IT4IT_CACHE", str(tmp_path / "cache"))

    assert tools.binary("kube-apiserver") == assets / "kube-apiserver"
    assert tools.binary("kubectl") == assets / "kubectl"
    assert tools.binary("kwok") == tmp_path / "cache" / f"k8s-v{tools.K8S_VERSION}" / "bin" / "kwok"
    assert "kube-apiserver" not in tools.missing() and "kwok" in tools.missing()


def test_the_cache_is_keyed_by_kubernetes_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IT4IT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert tools.bin_dir() == tmp_path / "it4it-operator" / f"k8s-v{tools.K8S_VERSION}" / "bin"
