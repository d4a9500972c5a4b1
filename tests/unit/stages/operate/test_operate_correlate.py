"""Correlate incidents across the instances of a release; major incidents above the bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from it4it_operator.stages.operate.correlate import (
    IncidentRef,
    major_needed,
    parent_of,
    related,
)
from it4it_operator.stages.release.wire import format_time

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def incident(
    name: str,
    instance: str,
    seconds: int = 0,
    *,
    namespace: str = "shop",
    symptom: str = "PodFailed",
    release: str = "guestbook-1.1.0",
    major: bool = False,
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"instance": instance},
        "status": {
            "symptom": symptom,
            "firstSeen": format_time(T0 + timedelta(seconds=seconds)),
            "major": major,
        },
        "release": release,
    }


MINE = incident("a-podfailed", "a")


@pytest.mark.parametrize(
    ("other", "is_related"),
    [
        pytest.param(incident("b-x", "b", 300), True, id="another instance of the release soon"),
        pytest.param(
            incident("b-x", "b", -600, symptom="Drifted"),
            True,
            id="any symptom within the window is related",
        ),
        pytest.param(incident("b-x", "b", 601), False, id="outside the window"),
        pytest.param(incident("a-other", "a", 10), False, id="the same instance is no peer"),
        pytest.param(
            incident("b-x", "b", 10, release="guestbook-1.0.0"), False, id="another release"
        ),
        pytest.param(
            incident("b-x", "b", 10, namespace="bank"),
            False,
            id="another namespace's incident is not named to a consumer",
        ),
        pytest.param(incident("major", "b", 10, major=True), False, id="a parent is no peer"),
    ],
)
def test_related(other: dict[str, Any], is_related: bool) -> None:
    assert related(MINE, [MINE, other]) == (["b-x"] if is_related else [])


def test_related_across_namespaces_names_the_namespace() -> None:
    others = [incident("b-x", "b", 10, namespace="bank"), incident("c-x", "c", 20)]
    assert related(MINE, others, across_namespaces=True) == ["bank/b-x", "c-x"]


def test_an_incident_without_first_seen_relates_to_nothing() -> None:
    bare = {"metadata": {"name": "x", "namespace": "shop"}, "spec": {"instance": "a"}}
    assert related(bare, [incident("b-x", "b")]) == []


def test_three_instances_hit_within_the_window_need_a_major_incident() -> None:
    incidents = [
        incident("a-pf", "a", 0),
        incident("b-pf", "b", 200, namespace="bank"),
        incident("c-pf", "c", 590),
        incident("d-pf", "d", 2000),
    ]
    (group,) = major_needed(incidents)
    assert (group.release, group.symptom, group.first_seen) == ("guestbook-1.1.0", "PodFailed", T0)
    assert group.members == (
        IncidentRef("bank", "b-pf"),
        IncidentRef("shop", "a-pf"),
        IncidentRef("shop", "c-pf"),
    )
    assert group.instances == (("bank", "b"), ("shop", "a"), ("shop", "c"))


@pytest.mark.parametrize(
    "incidents",
    [
        pytest.param(
            [incident("a-pf", "a"), incident("b-pf", "b", 10)], id="two instances are not major"
        ),
        pytest.param(
            [incident("a-pf", "a"), incident("a-pf2", "a", 5), incident("b-pf", "b", 10)],
            id="three incidents on two instances are not major",
        ),
        pytest.param(
            [incident("a-pf", "a"), incident("b-pf", "b", 400), incident("c-pf", "c", 800)],
            id="three instances spread wider than the window are not major",
        ),
        pytest.param(
            [
                incident("a-pf", "a"),
                incident("b-pf", "b", 10, symptom="Drifted"),
                incident("c-pf", "c", 20, symptom="ObjectMissing"),
            ],
            id="three different symptoms are not one major incident",
        ),
        pytest.param(
            [
                incident("a-pf", "a"),
                incident("b-pf", "b", 10),
                incident("c-pf", "c", 20),
                incident("major-pf", "a", 30, namespace="team-guestbook", major=True),
            ],
            id="a group that has its major incident already needs no other",
        ),
    ],
)
def test_no_major_incident_needed(incidents: list[dict[str, Any]]) -> None:
    assert major_needed(incidents) == []


def test_a_later_incident_joins_the_open_major_incident_of_its_release_and_symptom() -> None:
    major = incident("major-pf", "a", 0, namespace="team-guestbook", major=True)
    late = incident("e-pf", "e", 5000)
    assert parent_of(late, [major, late]) == IncidentRef("team-guestbook", "major-pf")
    assert parent_of(incident("e-dr", "e", 10, symptom="Drifted"), [major]) is None
    assert parent_of(major, [major]) is None
