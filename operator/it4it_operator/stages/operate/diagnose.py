"""Diagnose Issue (IT4IT 5.7.3): the quickest course of action, and feedback to development.

"Should find fixes by consulting the knowledge base": the knowledge base is the release's
`knownDefects`; a defect matches when one of its `symptoms` names the detected symptom class or
one of the symptoms a reporter saw. "Shall propose a course of action": the matching defect's,
else the offer's default, else the default for the symptom class (below). "Actual Product
Instance or system problem areas identified ... as input for the Development team Product
Backlog": `problem_feedback` counts incidents per known defect and lists the symptoms no known
defect explains, for ProductRelease.status.operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from it4it_operator.stages.operate.detect import (
    CRASH_LOOP_BACK_OFF,
    DRIFTED,
    OBJECT_MISSING,
    POD_FAILED,
    POD_RESTARTING,
    RECOVERY_OBJECTIVE_MISSED,
    SLA_BREACHED,
    WORKLOAD_UNAVAILABLE,
)
from it4it_operator.stages.release.wire import dig

COURSES = ("Restart", "Rollback", "Scale", "Reapply", "Playbook", "Manual")
"""Courses of action: a runbook action, an Ansible Playbook (needs a runbook), or a person."""

DEFAULT_COURSE: Mapping[str, str] = {
    DRIFTED: "Reapply",
    OBJECT_MISSING: "Reapply",
    POD_FAILED: "Rollback",
    CRASH_LOOP_BACK_OFF: "Rollback",
    SLA_BREACHED: "Rollback",
    WORKLOAD_UNAVAILABLE: "Restart",
    POD_RESTARTING: "Restart",
    RECOVERY_OBJECTIVE_MISSED: "Restart",
}
"""The course of action for a symptom class no known defect explains; others are Manual.

Reapply restores what is missing or changed; a release whose pods fail or loop is rolled back
to the last known good one; pods that are stuck or keep restarting are restarted, and so are
workloads that did not come back from a recovery drill in time."""


@dataclass(frozen=True)
class Diagnosis:
    """A known error (or None), the course of action, the runbook for a Playbook, and why."""

    known_error: dict[str, str] | None
    course_of_action: str
    runbook: str | None
    reason: str
    message: str


def matching_defects(
    symptom: str | None,
    reported_symptoms: Sequence[str],
    known_defects: Sequence[Mapping[str, Any]],
) -> list[Mapping[str, Any]]:
    """The known defects, in the release's order, one of whose `symptoms` equals
    (case-insensitively) the detected symptom class or one of the reported symptoms."""
    seen = {s.strip().lower() for s in [symptom or "", *reported_symptoms] if s and s.strip()}
    return [
        defect
        for defect in known_defects
        if any(str(s).strip().lower() in seen for s in defect.get("symptoms") or [])
    ]


def _known_error(defect: Mapping[str, Any]) -> dict[str, str]:
    error = {"id": str(defect.get("id")), "summary": str(defect.get("summary") or "")}
    if defect.get("workaround"):
        error["workaround"] = str(defect["workaround"])
    return error


def _fallback(symptom: str | None, default_action: str | None) -> tuple[str, str]:
    if default_action:
        return default_action, "the offer's default"
    if symptom is not None and symptom in DEFAULT_COURSE:
        return DEFAULT_COURSE[symptom], f"the default for {symptom}"
    return "Manual", "no course is known for this symptom"


def diagnose(
    symptom: str | None,
    reported_symptoms: Sequence[str],
    known_defects: Sequence[Mapping[str, Any]],
    default_action: str | None = None,
) -> Diagnosis:
    """Diagnose an incident with the detected `symptom` class (None for a reported incident
    without one) and the `reported_symptoms` (spec.symptoms) against the release's
    `known_defects` [{id, summary, symptoms, workaround, courseOfAction, runbook}].

    The first matching defect is the known error; its courseOfAction wins, else
    `default_action` (the offer's), else DEFAULT_COURSE, else Manual. A Playbook without a
    runbook, or a course that is not one of COURSES, falls back to Manual: a person decides.
    """
    matches = matching_defects(symptom, reported_symptoms, known_defects)
    defect = matches[0] if matches else None
    seen = symptom or ", ".join(reported_symptoms) or "the reported issue"
    if defect is not None and defect.get("courseOfAction"):
        course, source = str(defect["courseOfAction"]), f"known error {defect.get('id')}"
    else:
        course, source = _fallback(symptom, default_action)
    known = _known_error(defect) if defect is not None else None
    runbook = str(defect.get("runbook")) if defect is not None and defect.get("runbook") else None
    reason = "KnownError" if known else "NoKnownError"
    if course not in COURSES:
        return Diagnosis(
            known,
            "Manual",
            None,
            "UnknownCourseOfAction",
            f"The course of action {course!r} from {source} is not one of {', '.join(COURSES)}; "
            "a person decides.",
        )
    if course == "Playbook" and runbook is None:
        return Diagnosis(
            known,
            "Manual",
            None,
            "RunbookMissing",
            f"{source.capitalize()} calls for a Playbook but names no runbook; a person decides.",
        )
    explained = (
        f"{seen} matches known error {known['id']}: {known['summary']}"
        if known
        else f"No known defect explains {seen}"
    )
    return Diagnosis(
        known,
        course,
        runbook if course == "Playbook" else None,
        reason,
        f"{explained}; the course of action is {course} ({source}).",
    )


def _known_error_id(incident: Mapping[str, Any]) -> str | None:
    """status.knownError as an id, whether written as {id, ...} or as the id itself."""
    value = dig(incident, "status", "knownError")
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def problem_feedback(
    incidents: Sequence[Mapping[str, Any]], known_defects: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """ProductRelease.status.operations: {incidents, byKnownDefect, unexplainedSymptoms}.

    Counts the release's `incidents` (Incident objects as dicts), how many each of its
    `known_defects` explains (ids with at least one), and the sorted unique symptoms (the
    detected status.symptom and the reported spec.symptoms) of incidents no known defect of
    this release explains: a known error id the release does not list counts as unexplained.
    """
    ids = {str(d.get("id")) for d in known_defects}
    by_defect: dict[str, int] = {}
    unexplained: set[str] = set()
    for incident in incidents:
        known = _known_error_id(incident)
        if known is not None and known in ids:
            by_defect[known] = by_defect.get(known, 0) + 1
            continue
        symptoms = [dig(incident, "status", "symptom"), *(dig(incident, "spec", "symptoms") or [])]
        unexplained.update(str(s) for s in symptoms if s)
    return {
        "incidents": len(incidents),
        "byKnownDefect": dict(sorted(by_defect.items())),
        "unexplainedSymptoms": sorted(unexplained),
    }
