"""Diagnose Issue: known errors, the course of action, and problem feedback to Integrate."""

from __future__ import annotations

from typing import Any

import pytest

from it4it_operator.stages.operate.detect import SYMPTOMS
from it4it_operator.stages.operate.diagnose import (
    DEFAULT_COURSE,
    diagnose,
    matching_defects,
    problem_feedback,
)

GB17 = {
    "id": "GB-17",
    "summary": "The cache crashes on a cold start",
    "symptoms": ["CrashLoopBackOff", "OOMKilled"],
    "workaround": "Raise the memory limit to 256Mi",
    "courseOfAction": "Restart",
}
GB21 = {
    "id": "GB-21",
    "summary": "The cache needs a flush after an upgrade",
    "symptoms": ["Slow"],
    "courseOfAction": "Playbook",
    "runbook": "flush-cache",
}
DEFECTS = [GB17, GB21]


@pytest.mark.parametrize(
    ("symptom", "reported", "known", "course", "runbook"),
    [
        pytest.param(
            "CrashLoopBackOff", [], "GB-17", "Restart", None, id="the detected symptom matches"
        ),
        pytest.param(
            None, ["oomkilled"], "GB-17", "Restart", None, id="a reported symptom matches"
        ),
        pytest.param(
            "PodFailed",
            ["slow"],
            "GB-21",
            "Playbook",
            "flush-cache",
            id="a Playbook course names its runbook",
        ),
        pytest.param(
            "PodFailed", [], None, "Rollback", None, id="no known defect: the symptom's default"
        ),
    ],
)
def test_diagnose(
    symptom: str | None, reported: list[str], known: str | None, course: str, runbook: str | None
) -> None:
    diagnosis = diagnose(symptom, reported, DEFECTS)
    assert (diagnosis.known_error or {}).get("id") == known
    assert (diagnosis.course_of_action, diagnosis.runbook) == (course, runbook)
    assert diagnosis.reason == ("KnownError" if known else "NoKnownError")
    assert course in diagnosis.message


def test_a_known_error_carries_its_summary_and_workaround() -> None:
    assert diagnose("CrashLoopBackOff", [], DEFECTS).known_error == {
        "id": "GB-17",
        "summary": "The cache crashes on a cold start",
        "workaround": "Raise the memory limit to 256Mi",
    }


@pytest.mark.parametrize(
    ("symptom", "course"),
    [
        pytest.param("Drifted", "Reapply", id="drift is reapplied"),
        pytest.param("ObjectMissing", "Reapply", id="a missing object is reapplied"),
        pytest.param("PodFailed", "Rollback", id="failing pods are rolled back"),
        pytest.param("CrashLoopBackOff", "Rollback", id="a crash loop is rolled back"),
        pytest.param("SlaBreached", "Rollback", id="a breached SLA is rolled back"),
        pytest.param("WorkloadUnavailable", "Restart", id="an unavailable workload is restarted"),
        pytest.param("PodRestarting", "Restart", id="restarting pods are restarted"),
        pytest.param(
            "RecoveryObjectiveMissed",
            "Restart",
            id="workloads not back from a recovery drill in time are restarted",
        ),
        pytest.param("Slow", "Manual", id="anything else goes to a person"),
        pytest.param(None, "Manual", id="a reported incident without a symptom class"),
    ],
)
def test_the_default_course_by_symptom(symptom: str | None, course: str) -> None:
    assert diagnose(symptom, [], []).course_of_action == course


def test_every_detected_symptom_has_a_default_course() -> None:
    assert set(DEFAULT_COURSE) == set(SYMPTOMS)


def test_the_offers_default_replaces_the_symptoms_default() -> None:
    diagnosis = diagnose("PodFailed", [], [], default_action="Scale")
    assert diagnosis.course_of_action == "Scale"
    assert "the offer's default" in diagnosis.message


def test_a_known_defect_without_a_course_takes_the_default() -> None:
    defect = {"id": "GB-3", "summary": "Drifts", "symptoms": ["Drifted"]}
    diagnosis = diagnose("Drifted", [], [defect])
    assert (diagnosis.known_error or {})["id"] == "GB-3"
    assert diagnosis.course_of_action == "Reapply"


@pytest.mark.parametrize(
    ("defect", "reason"),
    [
        pytest.param(
            {"id": "GB-9", "summary": "", "symptoms": ["PodFailed"], "courseOfAction": "Playbook"},
            "RunbookMissing",
            id="a Playbook without a runbook goes to a person",
        ),
        pytest.param(
            {"id": "GB-9", "summary": "", "symptoms": ["PodFailed"], "courseOfAction": "Pray"},
            "UnknownCourseOfAction",
            id="a course that is not known goes to a person",
        ),
    ],
)
def test_a_course_that_cannot_run_falls_back_to_manual(defect: dict[str, Any], reason: str) -> None:
    diagnosis = diagnose("PodFailed", [], [defect])
    assert (diagnosis.course_of_action, diagnosis.reason, diagnosis.runbook) == (
        "Manual",
        reason,
        None,
    )


def test_the_first_listed_matching_defect_wins() -> None:
    twin = {**GB17, "id": "GB-18"}
    assert [d["id"] for d in matching_defects("CrashLoopBackOff", [], [twin, GB17])] == [
        "GB-18",
        "GB-17",
    ]
    assert (diagnose("CrashLoopBackOff", [], [twin, GB17]).known_error or {})["id"] == "GB-18"


def test_problem_feedback_counts_incidents_by_known_defect_and_lists_the_unexplained() -> None:
    incidents: list[dict[str, Any]] = [
        {"status": {"symptom": "CrashLoopBackOff", "knownError": {"id": "GB-17"}}},
        {"status": {"symptom": "CrashLoopBackOff", "knownError": "GB-17"}},
        {"status": {"symptom": "PodFailed"}},
        {"spec": {"symptoms": ["Slow", "OOMKilled"]}, "status": {}},
        {"status": {"symptom": "Drifted", "knownError": {"id": "GB-1"}}},
    ]
    assert problem_feedback(incidents, DEFECTS) == {
        "incidents": 5,
        "byKnownDefect": {"GB-17": 2},
        "unexplainedSymptoms": ["Drifted", "OOMKilled", "PodFailed", "Slow"],
    }


def test_problem_feedback_without_incidents() -> None:
    assert problem_feedback([], DEFECTS) == {
        "incidents": 0,
        "byKnownDefect": {},
        "unexplainedSymptoms": [],
    }
