"""ProductRelease and DesiredProductInstance documents for the Deploy tests."""

from __future__ import annotations

from typing import Any

DIGEST = "sha256:" + "ab" * 32
CHAOS_LABEL = "pod-container-running-failed.stage.kwok.x-k8s.io"


def web_manifests(*, failing: bool = False) -> list[dict[str, Any]]:
    pod_labels: dict[str, str] = {"app": "$(instance.name)-web"}
    if failing:
        pod_labels[CHAOS_LABEL] = "true"
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "$(instance.name)-config"},
            "data": {"greeting": "$(params.greeting)"},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "$(instance.name)-web"},
            "spec": {
                "selector": {"app": "$(instance.name)-web"},
                "ports": [{"port": 80, "targetPort": 8080}],
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "$(instance.name)-web"},
            "spec": {
                "replicas": "$(params.replicas)",
                "selector": {"matchLabels": {"app": "$(instance.name)-web"}},
                "template": {
                    "metadata": {"labels": pod_labels},
                    "spec": {"containers": [{"name": "web", "image": "$(images.web)"}]},
                },
            },
        },
    ]


def release(
    name: str,
    version: str,
    *,
    failing: bool = False,
    accepted: bool = True,
    manifests: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "ProductRelease",
        "metadata": {"name": name},
        "spec": {
            "product": "guestbook",
            "version": version,
            "buildPackage": {
                "images": [{"name": "web", "image": f"registry.example.com/guestbook/web@{DIGEST}"}]
            },
            "parameters": {
                "type": "object",
                "properties": {
                    "replicas": {"type": "integer", "minimum": 0, "maximum": 20, "default": 2},
                    "greeting": {"type": "string", "default": "hello"},
                },
            },
            "manifests": manifests if manifests is not None else web_manifests(failing=failing),
            "releaseNotes": f"guestbook {version}",
            "knownDefects": [
                {
                    "id": "GB-17",
                    "summary": "slow start",
                    "severity": "Minor",
                    "symptoms": ["CrashLoopBackOff"],
                    "workaround": "restart",
                }
            ],
            "acceptance": {
                "accepted": accepted,
                "acceptedBy": "ci",
                "testsPassed": 10,
                "testsFailed": 0,
            },
        },
    }


def instance(
    name: str,
    release_name: str,
    namespace: str,
    *,
    approval: str = "Automatic",
    observe: int = 2,
    parameters: dict[str, Any] | None = None,
    state: str = "Enabled",
    rollback: str = "Automatic",
) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "DesiredProductInstance",
        "metadata": {"name": name},
        "spec": {
            "release": {"namespace": namespace, "name": release_name},
            "parameters": parameters or {},
            "plan": {"approval": approval, "observeSeconds": observe, "rollback": rollback},
            "state": state,
        },
    }
