"""The namespace a command works in, picked from the kubeconfig as kubectl picks it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from it4it_operator.k8s.kubeconfig import KubeconfigError, context_namespace


@pytest.fixture
def kubeconfig(tmp_path: Path) -> str:
    path = tmp_path / "kubeconfig"
    cluster = {"name": "dev", "cluster": {"server": "https://127.0.0.1:6443"}}
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [cluster],
                "users": [{"name": "carol", "user": {"token": "t"}}],
                "contexts": [
                    {
                        "name": "shop",
                        "context": {"cluster": "dev", "user": "carol", "namespace": "shop"},
                    },
                    {"name": "plain", "context": {"cluster": "dev", "user": "carol"}},
                ],
                "current-context": "shop",
            }
        )
    )
    return str(path)


def test_the_current_contexts_namespace_is_the_default(kubeconfig: str) -> None:
    assert context_namespace(kubeconfig) == "shop"


def test_a_named_context_without_a_namespace_means_default(kubeconfig: str) -> None:
    assert context_namespace(kubeconfig, "plain") == "default"


def test_an_unknown_context_is_an_error_naming_it(kubeconfig: str) -> None:
    with pytest.raises(KubeconfigError, match="elsewhere"):
        context_namespace(kubeconfig, "elsewhere")


def test_kubeconfig_comes_from_the_environment_when_not_named(
    kubeconfig: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    assert context_namespace() == "shop"
