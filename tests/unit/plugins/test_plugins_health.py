"""The built-in health assessors, one kind at a time."""

from __future__ import annotations

from typing import Any

import pytest

from it4it_operator.plugins.builtin.health import (
    DAEMONSET,
    DEPLOYMENT,
    JOB,
    PERSISTENTVOLUMECLAIM,
    POD,
    SERVICE,
    STATEFULSET,
)


def obj(spec: dict[str, Any] | None = None, generation: int = 2, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "x", "generation": generation},
        "spec": spec or {},
        "status": {"observedGeneration": 2, **status},
    }


def cond(type_: str, status: str = "True", reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": type_, "status": status, "reason": reason, "message": message}


def pod(phase: str = "Running", ready: bool = True, **container: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web-1"},
        "status": {
            "phase": phase,
            "conditions": [cond("Ready", "True" if ready else "False")],
            "containerStatuses": [{"name": "web", "restartCount": 0, "state": {}, **container}],
        },
    }


ROLLED_OUT = {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}


@pytest.mark.parametrize(
    ("deployment", "pods", "health"),
    [
        pytest.param(
            obj({"replicas": 3}, **ROLLED_OUT),
            [],
            "Healthy",
            id="every replica updated and available",
        ),
        pytest.param(obj({"replicas": 0}), [], "Healthy", id="zero replicas is healthy"),
        pytest.param(
            obj({}, replicas=1, updatedReplicas=1, availableReplicas=1),
            [],
            "Healthy",
            id="replicas default to one",
        ),
        pytest.param(
            obj({"replicas": 3}, generation=3, **ROLLED_OUT),
            [],
            "Progressing",
            id="a status older than the spec is progressing",
        ),
        pytest.param(
            obj({"replicas": 3}, replicas=3, updatedReplicas=3, availableReplicas=2),
            [],
            "Progressing",
            id="a replica not yet available",
        ),
        pytest.param(
            obj({"replicas": 3}, replicas=4, updatedReplicas=3, availableReplicas=3),
            [],
            "Progressing",
            id="an old replica still terminating",
        ),
        pytest.param(
            obj({"replicas": 3}, conditions=[cond("ReplicaFailure", message="quota exceeded")]),
            [],
            "Degraded",
            id="a ReplicaFailure condition",
        ),
        pytest.param(
            obj(
                {"replicas": 3},
                conditions=[cond("Progressing", "False", "ProgressDeadlineExceeded")],
            ),
            [],
            "Degraded",
            id="the progress deadline was exceeded",
        ),
        pytest.param(
            obj({"replicas": 3}, conditions=[cond("Progressing", "True", "ReplicaSetUpdated")]),
            [],
            "Progressing",
            id="a rollout in progress",
        ),
        pytest.param(
            obj({"replicas": 3}, **ROLLED_OUT),
            [pod(state={"waiting": {"reason": "CrashLoopBackOff"}})],
            "Degraded",
            id="a crash-looping pod degrades the deployment",
        ),
        pytest.param(
            obj({"replicas": 3}, **ROLLED_OUT),
            [pod(restartCount=3)],
            "Degraded",
            id="a container restarted three times degrades the deployment",
        ),
        pytest.param(
            obj({"replicas": 3}, **ROLLED_OUT),
            [pod(phase="Failed")],
            "Degraded",
            id="a failed pod degrades the deployment",
        ),
        pytest.param(
            obj({"replicas": 3}, **ROLLED_OUT),
            [pod(restartCount=2)],
            "Healthy",
            id="two restarts are tolerated",
        ),
    ],
)
def test_deployment(deployment: dict[str, Any], pods: list[dict[str, Any]], health: str) -> None:
    report = DEPLOYMENT.assess(deployment, pods=pods)
    assert report.health == health
    assert report.message


def test_a_degraded_message_names_the_pod_and_reason() -> None:
    report = DEPLOYMENT.assess(
        obj({"replicas": 1}), pods=[pod(state={"waiting": {"reason": "ImagePullBackOff"}})]
    )
    assert report.message == "pod web-1 container web is in ImagePullBackOff"


@pytest.mark.parametrize(
    ("assessor_obj", "health"),
    [
        pytest.param(
            obj(
                {"replicas": 2},
                readyReplicas=2,
                updatedReplicas=2,
                currentRevision="r1",
                updateRevision="r1",
            ),
            "Healthy",
            id="a StatefulSet with every replica ready on the current revision",
        ),
        pytest.param(
            obj(
                {"replicas": 2},
                readyReplicas=2,
                updatedReplicas=1,
                currentRevision="r1",
                updateRevision="r2",
            ),
            "Progressing",
            id="a StatefulSet rolling out a new revision",
        ),
        pytest.param(
            obj(
                {"replicas": 2},
                readyReplicas=1,
                updatedReplicas=2,
                currentRevision="r2",
                updateRevision="r2",
            ),
            "Progressing",
            id="a StatefulSet with a replica not ready",
        ),
        pytest.param(
            obj(
                {"replicas": 2, "updateStrategy": {"type": "OnDelete"}},
                readyReplicas=2,
                currentRevision="r1",
                updateRevision="r2",
            ),
            "Healthy",
            id="an OnDelete StatefulSet is healthy once ready",
        ),
        pytest.param(obj({"replicas": 0}), "Healthy", id="a StatefulSet scaled to zero"),
    ],
)
def test_statefulset(assessor_obj: dict[str, Any], health: str) -> None:
    assert STATEFULSET.assess(assessor_obj).health == health


@pytest.mark.parametrize(
    ("daemonset", "health"),
    [
        pytest.param(
            obj(desiredNumberScheduled=3, updatedNumberScheduled=3, numberAvailable=3),
            "Healthy",
            id="a DaemonSet available on every node",
        ),
        pytest.param(
            obj(desiredNumberScheduled=3, updatedNumberScheduled=2, numberAvailable=3),
            "Progressing",
            id="a DaemonSet still updating a node",
        ),
        pytest.param(obj(), "Healthy", id="a DaemonSet with no nodes to run on"),
    ],
)
def test_daemonset(daemonset: dict[str, Any], health: str) -> None:
    assert DAEMONSET.assess(daemonset).health == health


@pytest.mark.parametrize(
    ("job", "health"),
    [
        pytest.param(obj(conditions=[cond("Complete")]), "Healthy", id="a complete Job"),
        pytest.param(
            obj(conditions=[cond("Failed", reason="BackoffLimitExceeded")]),
            "Degraded",
            id="a failed Job",
        ),
        pytest.param(obj(active=1), "Progressing", id="a running Job"),
        pytest.param(obj(conditions=[cond("Suspended")]), "Progressing", id="a suspended Job"),
    ],
)
def test_job(job: dict[str, Any], health: str) -> None:
    assert JOB.assess(job).health == health


@pytest.mark.parametrize(
    ("service", "health"),
    [
        pytest.param(obj({"type": "ClusterIP"}), "Healthy", id="a ClusterIP Service exists"),
        pytest.param(
            obj({"type": "LoadBalancer"}), "Progressing", id="a load balancer without an address"
        ),
        pytest.param(
            obj({"type": "LoadBalancer"}, loadBalancer={"ingress": [{"ip": "10.0.0.1"}]}),
            "Healthy",
            id="a load balancer with an address",
        ),
    ],
)
def test_service(service: dict[str, Any], health: str) -> None:
    assert SERVICE.assess(service).health == health


@pytest.mark.parametrize(
    ("claim", "health"),
    [
        pytest.param(obj(phase="Bound"), "Healthy", id="a bound claim"),
        pytest.param(obj(phase="Pending"), "Progressing", id="a pending claim"),
        pytest.param(obj(phase="Lost"), "Degraded", id="a claim that lost its volume"),
    ],
)
def test_persistentvolumeclaim(claim: dict[str, Any], health: str) -> None:
    assert PERSISTENTVOLUMECLAIM.assess(claim).health == health


@pytest.mark.parametrize(
    ("the_pod", "health"),
    [
        pytest.param(pod(), "Healthy", id="a running, ready pod"),
        pytest.param(pod(ready=False), "Progressing", id="a running pod not yet ready"),
        pytest.param(pod(phase="Pending", ready=False), "Progressing", id="a pending pod"),
        pytest.param(pod(phase="Succeeded", ready=False), "Healthy", id="a completed pod"),
        pytest.param(pod(phase="Failed", ready=False), "Degraded", id="a failed pod"),
        pytest.param(
            pod(state={"waiting": {"reason": "CrashLoopBackOff"}}),
            "Degraded",
            id="a crash-looping pod",
        ),
    ],
)
def test_pod(the_pod: dict[str, Any], health: str) -> None:
    assert POD.assess(the_pod).health == health
