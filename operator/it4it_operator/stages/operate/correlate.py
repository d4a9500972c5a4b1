"""Correlate Incidents across the instances of a release (IT4IT 5.7.1 "Remediate a major Event
or Incident": "the correlation of Events/Incidents to identify (detect) that a major
Event/Incident has occurred"; 5.7.2 "Should correlate Events and/or Incidents with other Events
and/or Incidents to determine impact").

When one release misbehaves, every instance of it raises its own Incident. Incidents that start
close together on other instances of the same release are related; when the same symptom hits
MAJOR_INSTANCES distinct instances within the window, the controller creates one major Incident
(status.major true) as their parent, to be resolved once for all.

Input incidents are Incident objects as dicts, open ones only, each with a top-level `release`
(the ProductRelease name of its instance) that the controller adds. An instance is identified by
namespace and spec.instance. Tenancy: by default `related` names only incidents in the same
namespace, so a consumer's Incident never names another consumer's; the major incident, which
lives with the product team, spans namespaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from it4it_operator.stages.release.wire import dig, parse_time

DEFAULT_WINDOW_SECONDS = 600
MAJOR_INSTANCES = 3
"""A symptom on this many distinct instances of a release within the window is a major one."""


class IncidentRef(NamedTuple):
    """Where an Incident is: namespace and name."""

    namespace: str
    name: str


@dataclass(frozen=True)
class _Entry:
    ref: IncidentRef
    instance: tuple[str, str]
    release: str
    symptom: str
    first_seen: datetime
    major: bool


def _entry(incident: Mapping[str, Any]) -> _Entry | None:
    """The fields correlation needs, or None when one of them is missing or malformed."""
    namespace = str(dig(incident, "metadata", "namespace") or "")
    name = dig(incident, "metadata", "name")
    instance = dig(incident, "spec", "instance")
    release = incident.get("release")
    try:
        first_seen = parse_time(dig(incident, "status", "firstSeen"), field="status.firstSeen")
    except ValueError:
        return None
    if not (name and instance and release):
        return None
    return _Entry(
        IncidentRef(namespace, str(name)),
        (namespace, str(instance)),
        str(release),
        str(dig(incident, "status", "symptom") or ""),
        first_seen,
        bool(dig(incident, "status", "major")),
    )


def _entries(incidents: Iterable[Mapping[str, Any]]) -> list[_Entry]:
    return [e for e in map(_entry, incidents) if e is not None]


def related(
    incident: Mapping[str, Any],
    others: Sequence[Mapping[str, Any]],
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
    *,
    across_namespaces: bool = False,
) -> list[str]:
    """status.related: the sorted names of incidents on other instances of the same release
    whose firstSeen is within `window_seconds` of this one's, whatever their symptom.

    Major incidents are parents, not peers, and are left out. Names from another namespace
    (only with `across_namespaces`) are written "namespace/name".
    """
    me = _entry(incident)
    if me is None:
        return []
    window = timedelta(seconds=window_seconds)
    names = set()
    for other in _entries(others):
        if (
            other.release != me.release
            or other.instance == me.instance
            or other.major
            or abs(other.first_seen - me.first_seen) > window
        ):
            continue
        if other.ref.namespace == me.ref.namespace:
            names.add(other.ref.name)
        elif across_namespaces:
            names.add(f"{other.ref.namespace}/{other.ref.name}")
    return sorted(names)


@dataclass(frozen=True)
class MajorGroup:
    """A (release, symptom) that needs a major incident, with the incidents it is the parent of.

    `first_seen` is the earliest member's, `instances` the distinct (namespace, instance) hit.
    """

    release: str
    symptom: str
    first_seen: datetime
    members: tuple[IncidentRef, ...]
    instances: tuple[tuple[str, str], ...]


def _first_span(group: list[_Entry], window: timedelta) -> list[_Entry] | None:
    """The earliest run of incidents within `window` that hits MAJOR_INSTANCES instances."""
    group = sorted(group, key=lambda e: (e.first_seen, e.ref))
    for start, head in enumerate(group):
        span = [e for e in group[start:] if e.first_seen - head.first_seen <= window]
        if len({e.instance for e in span}) >= MAJOR_INSTANCES:
            return span
    return None


def major_needed(
    incidents: Sequence[Mapping[str, Any]], window_seconds: int = DEFAULT_WINDOW_SECONDS
) -> list[MajorGroup]:
    """The (release, symptom) groups hit on >= MAJOR_INSTANCES distinct instances within
    `window_seconds` that have no parent yet (no open major incident of that release and
    symptom), sorted by release and symptom. The members are the incidents of the earliest
    such span; later ones join through `parent_of`."""
    window = timedelta(seconds=window_seconds)
    entries = _entries(incidents)
    parented = {(e.release, e.symptom) for e in entries if e.major}
    groups: dict[tuple[str, str], list[_Entry]] = {}
    for e in entries:
        if not e.major and e.symptom and (e.release, e.symptom) not in parented:
            groups.setdefault((e.release, e.symptom), []).append(e)
    needed = []
    for (release, symptom), group in sorted(groups.items()):
        span = _first_span(group, window)
        if span is None:
            continue
        instances = tuple(sorted({e.instance for e in span}))
        needed.append(
            MajorGroup(
                release,
                symptom,
                span[0].first_seen,
                tuple(sorted(e.ref for e in span)),
                instances,
            )
        )
    return needed


def parent_of(
    incident: Mapping[str, Any], incidents: Sequence[Mapping[str, Any]]
) -> IncidentRef | None:
    """The open major incident an incident belongs to: the earliest one of the same release and
    symptom. While a major incident is open its cause is not fixed, so a later incident joins
    it whatever the window; None when there is none (or the incident is itself major)."""
    me = _entry(incident)
    if me is None or me.major:
        return None
    parents = sorted(
        (e.first_seen, e.ref)
        for e in _entries(incidents)
        if e.major and e.release == me.release and e.symptom == me.symptom
    )
    return parents[0][1] if parents else None
