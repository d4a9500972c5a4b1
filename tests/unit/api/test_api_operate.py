"""The Operate API: incidents, the operate policy, runbooks, and the feedback on other kinds.

The CEL rules are checked for shape here (the API server evaluates them: the invalid corpus in
tests/data/invalid/ holds one refused example of each, applied by the integration tests).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from it4it_operator.api.actual_instance import ActualProductInstanceStatus
from it4it_operator.api.approval import ApprovalSpec
from it4it_operator.api.common import OperatePolicy
from it4it_operator.api.crdgen import crd
from it4it_operator.api.desired_instance import DesiredProductInstanceSpec
from it4it_operator.api.incident import PHASES, IncidentSpec, IncidentStatus
from it4it_operator.api.kinds import kind_named
from it4it_operator.api.product_release import ProductReleaseStatus
from it4it_operator.api.service_offer import ServiceOfferSpec

OFFER = {
    "displayName": "Guestbook",
    "release": {"namespace": "team-guestbook", "product": "guestbook", "version": ">=1.0.0"},
    "pricing": {"currency": "EUR", "price": "12.50"},
    "terms": {"version": "2026-01"},
}


@cache
def _schema(kind: str) -> dict[str, Any]:
    return dict(crd(kind_named(kind))["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def node(kind: str, *path: str) -> dict[str, Any]:
    """The schema node at a path of property names; lists are stepped into."""
    found = _schema(kind)
    for name in path:
        found = found["properties"][name]
        if found.get("type") == "array":
            found = found["items"]
    return found


def rules(kind: str, *path: str) -> list[str]:
    return [r["rule"] for r in node(kind, *path).get("x-kubernetes-validations", [])]


def test_an_offer_without_operate_gets_every_default() -> None:
    operate = ServiceOfferSpec.model_validate(OFFER).operate
    assert operate == OperatePolicy()
    assert (operate.remediation, operate.max_attempts, operate.notice_seconds) == (
        "Automatic",
        3,
        3600,
    )
    detect = operate.detect
    assert (detect.failures, detect.window_seconds, detect.unavailable_seconds) == (2, 300, 60)
    assert (detect.restarts, detect.verify_seconds) == (3, 30)
    assert operate.maintenance == []


def test_the_instance_carries_the_same_operate_policy_as_the_offer() -> None:
    offer = node("ServiceOffer", "spec", "operate")
    instance = node("DesiredProductInstance", "spec", "operate")
    assert {k: v for k, v in offer.items() if k != "description"} == {
        k: v for k, v in instance.items() if k != "description"
    }
    assert DesiredProductInstanceSpec.model_fields["operate"].annotation is OperatePolicy


def test_max_attempts_is_from_1_to_10_defaulting_to_3() -> None:
    attempts = node("ServiceOffer", "spec", "operate", "maxAttempts")
    assert (attempts["minimum"], attempts["maximum"], attempts["default"]) == (1, 10, 3)


def test_maintenance_windows_have_the_shape_of_a_change_window() -> None:
    window = node("ServiceOffer", "spec", "operate", "maintenance")
    change = node("ServiceOffer", "spec", "fulfillment", "changeWindow")
    assert window["properties"].keys() == change["properties"].keys()
    assert (
        node("ServiceOffer", "spec")["properties"]["operate"]["properties"]["maintenance"][
            "maxItems"
        ]
        == 16
    )


def test_recovery_drills_have_the_shape_of_a_change_window_and_an_objective() -> None:
    drills = node("ServiceOffer", "spec", "operate", "recovery", "drills")
    change = node("ServiceOffer", "spec", "fulfillment", "changeWindow")
    assert drills["properties"].keys() == change["properties"].keys()
    recovery = node("ServiceOffer", "spec", "operate", "recovery")
    assert recovery["required"] == ["objectiveSeconds"]
    assert recovery["properties"]["drills"]["maxItems"] == 16
    objective = recovery["properties"]["objectiveSeconds"]
    assert (objective["minimum"], objective["maximum"]) == (1, 86400)
    assert OperatePolicy().recovery is None, "no drill unless the offer asks for one"


@pytest.mark.parametrize(
    "recovery",
    [
        pytest.param({"objectiveSeconds": 0}, id="an objective of zero seconds"),
        pytest.param({"objectiveSeconds": 86401}, id="an objective over a day"),
        pytest.param({"drills": []}, id="drills without an objective"),
    ],
)
def test_a_recovery_policy_out_of_bounds_is_refused(recovery: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="objectiveSeconds"):
        OperatePolicy.model_validate({"recovery": recovery})


def test_the_instance_keeps_its_last_recovery_drill_in_status() -> None:
    status = ActualProductInstanceStatus.model_validate(
        {
            "recovery": {
                "drills": 3,
                "lastDrillAt": "2026-01-10T02:00:00Z",
                "windowStart": "2026-01-10T02:00:00Z",
                "recoveredAt": "2026-01-10T02:00:40Z",
                "recoverySeconds": 40,
                "objectiveSeconds": 60,
                "met": True,
            },
            "suppressed": {"recoveryDrill": 1},
        }
    )
    assert status.recovery is not None and status.recovery.met is True
    assert status.suppressed is not None and status.suppressed.recovery_drill == 1


def test_support_may_name_a_resolver_group() -> None:
    group = node("ServiceOffer", "spec", "support", "resolverGroup")
    assert group["maxLength"] == 63 and group["pattern"].startswith("^[a-z0-9]")


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("impact", ["High", "Medium", "Low"]),
        ("urgency", ["High", "Medium", "Low"]),
        ("source", ["Detected", "Reported"]),
        ("acceptance", ["Accepted", "Rejected"]),
    ],
)
def test_incident_spec_enums_follow_the_api_sketch(field: str, values: list[str]) -> None:
    assert node("Incident", "spec", field)["enum"] == values


def test_a_reported_incident_is_the_default_and_symptoms_are_optional() -> None:
    spec = IncidentSpec.model_validate({"instance": "my-guestbook", "summary": "Slow"})
    assert (spec.source, spec.symptoms, spec.symptom, spec.acceptance) == (
        "Reported",
        [],
        None,
        None,
    )


def test_every_incident_phase_is_documented() -> None:
    description = node("Incident", "status", "phase")["description"]
    assert all(phase in description for phase in PHASES)
    assert len(PHASES) == 8


def test_the_course_of_action_includes_a_playbook() -> None:
    assert node("Incident", "status", "courseOfAction")["enum"] == [
        "Restart",
        "Rollback",
        "Scale",
        "Reapply",
        "Playbook",
        "Manual",
    ]
    assert "Playbook" in node("ProductRelease", "spec", "knownDefects", "courseOfAction")["enum"]


def test_the_known_error_is_an_object_with_its_workaround() -> None:
    status = IncidentStatus.model_validate(
        {"knownError": {"id": "GB-17", "workaround": "Roll back to 1.0.0."}}
    )
    assert status.known_error is not None
    assert (status.known_error.id, status.known_error.workaround) == (
        "GB-17",
        "Roll back to 1.0.0.",
    )
    assert node("Incident", "status", "knownError")["required"] == ["id"]


@pytest.mark.parametrize(
    ("path", "bound"),
    [
        (("actions",), 20),
        (("related",), 50),
        (("knowledge",), 32),
        (("timeline",), 100),
    ],
)
def test_incident_status_lists_are_bounded(path: tuple[str, ...], bound: int) -> None:
    assert node("Incident", "status")["properties"][path[0]]["maxItems"] == bound


def test_incident_columns_show_priority_instance_symptom_then_phase() -> None:
    columns = kind_named("Incident").printer_columns
    shown = [(c.name, c.json_path) for c in columns if c.priority == 0]
    assert shown == [
        ("Priority", ".status.priority"),
        ("Instance", ".spec.instance"),
        ("Symptom", ".status.symptom"),
        ("Phase", ".status.phase"),
        ("Ready", '.status.conditions[?(@.type=="Ready")].status'),
        ("Age", ".metadata.creationTimestamp"),
    ]
    assert kind_named("Incident").short_names == ("inc",)


def test_an_approval_names_a_plan_or_an_incident_but_not_both() -> None:
    assert rules("Approval", "spec") == [
        "has(self.planHash) || has(self.incident)",
        "!has(self.planHash) || !has(self.incident)",
        "!has(self.planHash) || has(self.desiredInstance)",
        "!has(self.decision) || self.decision != 'Rejected' || "
        "(has(self.reason) && size(self.reason) > 0)",
    ]
    incident = ApprovalSpec.model_validate({"incident": "my-guestbook-slow", "approver": "jane"})
    assert (incident.plan_hash, incident.desired_instance) == (None, None)
    assert set(node("Approval", "spec")["required"]) == {"approver"}


def test_a_playbook_defect_must_name_a_runbook_that_exists() -> None:
    (playbook,) = rules("ProductRelease", "spec", "knownDefects")
    assert "'Playbook'" in playbook and "has(self.runbook)" in playbook
    (exists,) = [r for r in rules("ProductRelease", "spec") if "runbooks" in r]
    assert "self.runbooks.exists(r, r.name == d.runbook)" in exists


def test_runbooks_are_keyed_by_name_and_time_out() -> None:
    runbooks = node("ProductRelease", "spec")["properties"]["runbooks"]
    assert (runbooks["x-kubernetes-list-type"], runbooks["x-kubernetes-list-map-keys"]) == (
        "map",
        ["name"],
    )
    assert runbooks["maxItems"] == 16
    assert node("ProductRelease", "spec", "runbooks", "timeoutSeconds")["default"] == 300


def test_release_operations_are_status_so_an_accepted_release_still_gets_feedback() -> None:
    status = ProductReleaseStatus.model_validate(
        {"operations": {"incidents": 4, "byKnownDefect": {"GB-17": 3}, "unexplainedSymptoms": []}}
    )
    assert status.operations is not None and status.operations.by_known_defect == {"GB-17": 3}
    assert "operations" not in node("ProductRelease", "spec")["properties"]
    assert rules("ProductRelease", "status") == []


def test_detect_keeps_its_clocks_in_the_actual_instance_status() -> None:
    status = ActualProductInstanceStatus.model_validate(
        {
            "symptoms": [{"symptom": "PodFailed", "since": "2026-01-01T00:00:00Z", "count": 2}],
            "suppressed": {"maintenance": 1, "change": 4},
            "openIncidents": 1,
        }
    )
    assert status.symptoms[0].count == 2 and status.suppressed is not None
    symptoms = node("ActualProductInstance", "status")["properties"]["symptoms"]
    assert symptoms["x-kubernetes-list-map-keys"] == ["symptom"]


def test_the_instance_remembers_the_release_before_the_last_known_good() -> None:
    status = node("DesiredProductInstance", "status")["properties"]
    assert status["previousKnownGood"]["properties"].keys() == (
        status["lastKnownGood"]["properties"].keys()
    )
    assert status["rolledBackFor"]["type"] == "string"
