"""Fixtures shared by every test suite.

`cluster` is a real control plane for the whole test session: a fresh local one (etcd,
kube-apiserver, kube-controller-manager, kube-scheduler, KWOK) in a temporary folder, or, when
IT4IT_TEST_KUBECONFIG names a kubeconfig, that cluster (kind, k3d, any other).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from it4it_operator.devcluster import LocalCluster, tools


@dataclass
class ExistingCluster:
    """A cluster someone else runs, reached through a kubeconfig."""

    kubeconfig: Path

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        kubeconfig: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return tools.kubectl(kubeconfig or self.kubeconfig, *args, input=input, check=check)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster | ExistingCluster]:
    if existing := os.environ.get("IT4IT_TEST_KUBECONFIG"):
        yield ExistingCluster(Path(existing))
        return
    local = LocalCluster(tmp_path_factory.mktemp("control-plane"))
    local.up()
    try:
        yield local
    finally:
        local.down()
