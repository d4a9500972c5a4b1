"""Prioritise an Incident: impact x urgency gives P1..P4."""

from __future__ import annotations

from typing import Any

import pytest

from it4it_operator.stages.operate.detect import SYMPTOMS
from it4it_operator.stages.operate.priority import (
    URGENCY,
    impact_of,
    incident_priority,
    priority,
    urgency_of,
)


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        pytest.param("High", "High", "P1", id="high impact and high urgency is P1"),
        pytest.param("High", "Medium", "P2", id="high impact and medium urgency is P2"),
        pytest.param("Medium", "High", "P2", id="medium impact and high urgency is P2"),
        pytest.param("High", "Low", "P3", id="high impact and low urgency is P3"),
        pytest.param("Medium", "Medium", "P3", id="medium impact and medium urgency is P3"),
        pytest.param("Low", "High", "P3", id="low impact and high urgency is P3"),
        pytest.param("Medium", "Low", "P4", id="medium impact and low urgency is P4"),
        pytest.param("Low", "Medium", "P4", id="low impact and medium urgency is P4"),
        pytest.param("Low", "Low", "P4", id="low impact and low urgency is P4"),
    ],
)
def test_the_impact_urgency_matrix(impact: str, urgency: str, expected: str) -> None:
    assert priority(impact, urgency) == expected


def test_a_level_outside_the_matrix_is_refused() -> None:
    with pytest.raises(ValueError, match="Critical"):
        priority("Critical", "High")


@pytest.mark.parametrize(
    ("subscriptions", "sla", "expected"),
    [
        pytest.param(3, None, "High", id="three affected subscriptions are high impact"),
        pytest.param(0, "99.9", "High", id="a 99.9 SLA makes any outage high impact"),
        pytest.param(1, "99.95%", "High", id="an SLA written with a percent sign counts"),
        pytest.param(2, "99.5", "Medium", id="one or two subscriptions are medium impact"),
        pytest.param(0, None, "Low", id="an instance deployed directly is low impact"),
        pytest.param(0, "lots", "Low", id="an SLA that is not a number is ignored"),
    ],
)
def test_impact_of(subscriptions: int, sla: str | None, expected: str) -> None:
    assert impact_of(subscriptions, sla) == expected


@pytest.mark.parametrize(
    ("symptom", "expected"),
    [
        pytest.param("WorkloadUnavailable", "High", id="an unavailable workload is urgent"),
        pytest.param("ObjectMissing", "High", id="a missing object is urgent"),
        pytest.param("SlaBreached", "High", id="a breached SLA is urgent"),
        pytest.param("RecoveryObjectiveMissed", "High", id="a missed recovery objective is urgent"),
        pytest.param("PodFailed", "Medium", id="failing pods are of medium urgency"),
        pytest.param("CrashLoopBackOff", "Medium", id="a crash loop is of medium urgency"),
        pytest.param("PodRestarting", "Low", id="restarts are of low urgency"),
        pytest.param("Drifted", "Low", id="drift is of low urgency"),
        pytest.param("crashloopbackoff", "Medium", id="symptoms match case-insensitively"),
        pytest.param("Slow", "Medium", id="a reported symptom unknown to the table is medium"),
    ],
)
def test_urgency_of(symptom: str, expected: str) -> None:
    assert urgency_of(symptom) == expected


def test_every_detected_symptom_has_an_urgency() -> None:
    assert set(URGENCY) == set(SYMPTOMS)


@pytest.mark.parametrize(
    ("spec", "detected_impact", "symptom", "expected"),
    [
        pytest.param(
            {"source": "Reported", "impact": "Low", "urgency": "Low"},
            "High",
            None,
            ("Low", "Low", "P4"),
            id="a reporter's own impact and urgency are honoured even below what is measured",
        ),
        pytest.param(
            {"source": "Reported", "impact": "High", "urgency": "High"},
            "Low",
            None,
            ("High", "High", "P1"),
            id="a reporter may raise the priority above what is measured",
        ),
        pytest.param(
            {"source": "Reported", "symptoms": ["Drifted", "ObjectMissing"]},
            "Medium",
            None,
            ("Medium", "High", "P2"),
            id="levels a reporter left out come from the measure and their symptoms",
        ),
        pytest.param(
            {"source": "Detected", "impact": "Low", "urgency": "Low"},
            "High",
            "WorkloadUnavailable",
            ("High", "High", "P1"),
            id="a detected incident follows the measured impact and its symptom",
        ),
        pytest.param(
            {"source": "Detected"},
            "Low",
            None,
            ("Low", "Medium", "P4"),
            id="a detected incident without a symptom is of medium urgency",
        ),
    ],
)
def test_incident_priority(
    spec: dict[str, Any],
    detected_impact: Any,
    symptom: str | None,
    expected: tuple[str, str, str],
) -> None:
    verdict = incident_priority(spec, detected_impact, symptom)
    assert (verdict.impact, verdict.urgency, verdict.priority) == expected
    assert verdict.priority in verdict.message
