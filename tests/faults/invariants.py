"""What must hold after any fault, as pure functions over objects fetched once (wire JSON).

Each check returns the violations it found (an empty list when the invariant holds), so the
suite can attribute them to the fault just injected and the unit tests can feed hand-made
objects. Nothing here talks to a cluster.

- every Subscription is Ready for its current generation (within a deadline after the last
  restart of the operator);
- exactly the planned children per instance, by UID: one ActualProductInstance per
  DesiredProductInstance, and for each the planned kinds once (a ConfigMap and a Deployment),
  no duplicates and no orphans (an owner UID that no longer exists);
- every child labelled `it4it.dev/instance` with its instance's name, owned (controller
  ownerReference) by that ActualProductInstance, in the instance's namespace;
- no object left with a deletionTimestamp and the operator's finalizer (stuck deletion);
- no Incident storm (at most a few per instance beyond the breaks the suite made on purpose,
  never two for one instance and symptom open at once, none still open at the end) and no Event
  storm (at most EVENT_CEILING Events per it4it object, a few more per spec change);
- status.history of each DesiredProductInstance without duplicated entries;
- no lost change: every spec change made during a fault is reflected (the instance's
  spec.parameters and the Deployment's replicas).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = Mapping[str, Any]
INSTANCE_LABEL = "it4it.dev/instance"
FINALIZER = "it4it.dev/decommission"
DPI_KIND, ACTUAL_KIND = "DesiredProductInstance", "ActualProductInstance"
INCIDENT_CEILING = 3
"""Incidents per instance over the whole run, beyond the suite's own breaks of it: "a few"."""
EVENT_CEILING = 40
"""Events per it4it object over the whole run, for its first generation ..."""
EVENTS_PER_GENERATION = 4
"""... and this many more for each spec change after it."""
MAJOR_LABEL = "it4it.dev/major"
DONE_INCIDENT_PHASES = frozenset({"Resolved", "Closed"})


@dataclass(frozen=True)
class Violation:
    invariant: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.subject}: {self.detail}"


@dataclass
class Snapshot:
    """The objects the checks read, as listed at `taken_at`."""

    subscriptions: Sequence[Obj] = field(default_factory=list)
    instances: Sequence[Obj] = field(default_factory=list)
    actuals: Sequence[Obj] = field(default_factory=list)
    children: Sequence[Obj] = field(default_factory=list)
    """ConfigMaps and Deployments of the workload namespaces (labelled or not)."""
    incidents: Sequence[Obj] = field(default_factory=list)
    events: Sequence[Obj] = field(default_factory=list)
    namespaces: Sequence[Obj] = field(default_factory=list)
    taken_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


# -- small readers ------------------------------------------------------------------------------
def meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def key(obj: Obj) -> str:
    """ "Kind namespace/name" for messages."""
    where = f"{meta(obj)['namespace']}/" if meta(obj).get("namespace") else ""
    return f"{obj.get('kind', '?')} {where}{meta(obj).get('name')}"


def uid(obj: Obj) -> str:
    return str(meta(obj).get("uid") or "")


def condition(obj: Obj, type_: str) -> Mapping[str, Any]:
    for found in (obj.get("status") or {}).get("conditions") or []:
        if found.get("type") == type_:
            return dict(found)
    return {}


def is_ready(obj: Obj) -> bool:
    """Ready=True for the object's current generation."""
    ready = condition(obj, "Ready")
    if ready.get("status") != "True":
        return False
    generation = meta(obj).get("generation")
    observed = ready.get("observedGeneration", (obj.get("status") or {}).get("observedGeneration"))
    return generation is None or observed is None or int(observed) >= int(generation)


def deleting(obj: Obj) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def controller_owner(obj: Obj) -> Mapping[str, Any] | None:
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


# -- the checks ---------------------------------------------------------------------------------
def subscriptions_ready(
    subscriptions: Iterable[Obj],
    *,
    taken_at: dt.datetime,
    last_restart: dt.datetime | None,
    deadline_seconds: float = 60.0,
    ignore: Collection[tuple[str, str]] = (),
) -> list[Violation]:
    """Every Subscription Ready for its generation once `deadline_seconds` have passed since
    the operator's last restart (before that, not Ready yet is no violation); those of
    `ignore` (namespace, name) were charged already and are left out."""
    if last_restart is not None and (taken_at - last_restart).total_seconds() < deadline_seconds:
        return []
    since = (
        f"{(taken_at - last_restart).total_seconds():.0f} s after the fault or restart"
        if last_restart
        else "at the end"
    )
    found = []
    for sub in subscriptions:
        if (
            deleting(sub)
            or is_ready(sub)
            or (meta(sub).get("namespace"), meta(sub).get("name")) in ignore
        ):
            continue
        ready = condition(sub, "Ready")
        why = f"{ready.get('reason', 'no Ready condition')}: {ready.get('message', '')}".strip()
        found.append(Violation("not-ready", key(sub), f"not Ready {since} ({why[:160]})"))
    return found


def children(
    instances: Sequence[Obj],
    actuals: Sequence[Obj],
    objects: Sequence[Obj],
    planned: Mapping[str, int],
) -> list[Violation]:
    """Exactly the planned children per instance, by UID, labelled, owned, in its namespace."""
    found: list[Violation] = []
    live = [d for d in instances if not deleting(d)]
    dpi_uids = {uid(d) for d in instances}
    actual_by_uid = {uid(a): a for a in actuals}
    actuals_of: dict[str, list[Obj]] = defaultdict(list)
    for actual in actuals:
        owner = controller_owner(actual)
        if owner is None or owner.get("kind") != DPI_KIND:
            found.append(Violation("unowned", key(actual), "no DesiredProductInstance owns it"))
        elif owner.get("uid") not in dpi_uids:
            if not deleting(actual):
                found.append(
                    Violation("orphan", key(actual), f"owner uid {owner.get('uid')} is gone")
                )
        else:
            actuals_of[str(owner["uid"])].append(actual)
    for dpi in live:
        mine = [a for a in actuals_of.get(uid(dpi), []) if not deleting(a)]
        if len(mine) != 1:
            names = ", ".join(f"{key(a)} ({uid(a)[:8]})" for a in mine) or "none"
            found.append(Violation("instances", key(dpi), f"{len(mine)} actual instances: {names}"))
    kinds_of: dict[str, Counter[str]] = defaultdict(Counter)
    for obj in objects:
        label = (meta(obj).get("labels") or {}).get(INSTANCE_LABEL)
        owner = controller_owner(obj)
        owned = owner is not None and owner.get("kind") == ACTUAL_KIND
        if label is None and not owned:
            continue  # not a child of any instance (kube-root-ca.crt, ...)
        if deleting(obj):
            continue
        if label is None:
            found.append(Violation("unlabelled", key(obj), f"no {INSTANCE_LABEL} label"))
        if not owned or owner is None:
            found.append(Violation("unowned", key(obj), "no ActualProductInstance owns it"))
            continue
        parent = actual_by_uid.get(str(owner.get("uid")))
        if parent is None:
            found.append(
                Violation("orphan", key(obj), f"owner {owner.get('name')} uid {owner.get('uid')}")
            )
            continue
        if label is not None and label != meta(parent).get("name"):
            found.append(
                Violation("mislabelled", key(obj), f"labelled {label}, owned by {key(parent)}")
            )
        if meta(obj).get("namespace") != meta(parent).get("namespace"):
            found.append(
                Violation("namespace", key(obj), f"outside the namespace of {key(parent)}")
            )
        kinds_of[uid(parent)][str(obj.get("kind"))] += 1
    live_uids = {uid(d) for d in live}
    for actual in actuals:
        ref = controller_owner(actual) or {}
        if deleting(actual) or ref.get("uid") not in live_uids:
            continue
        have = kinds_of.get(uid(actual), Counter())
        if dict(have) != dict(planned):
            want = dict(sorted(planned.items()))
            found.append(
                Violation(
                    "children",
                    key(actual),
                    f"children {dict(sorted(have.items()))}, planned {want}",
                )
            )
    return found


def ownership(subscriptions: Sequence[Obj], instances: Sequence[Obj]) -> list[Violation]:
    """Every DesiredProductInstance a subscription asked for is owned by a live one."""
    sub_uids = {uid(s) for s in subscriptions}
    found = []
    for dpi in instances:
        owner = controller_owner(dpi) or {}
        gone = owner.get("kind") == "Subscription" and owner.get("uid") not in sub_uids
        if gone and not deleting(dpi):
            found.append(Violation("orphan", key(dpi), "its Subscription is gone"))
    return found


def stuck_finalizers(objects: Iterable[Obj], finalizer: str = FINALIZER) -> list[Violation]:
    """Objects being deleted that still hold the operator's finalizer."""
    return [
        Violation("finalizer", key(obj), f"deleted at {meta(obj)['deletionTimestamp']}, holds it")
        for obj in objects
        if deleting(obj) and finalizer in (meta(obj).get("finalizers") or [])
    ]


def namespaces_gone(namespaces: Iterable[Obj], gone: Iterable[str]) -> list[Violation]:
    present = {str(meta(n).get("name")): n for n in namespaces}
    found = []
    for name in gone:
        if name in present:
            phase = (present[name].get("status") or {}).get("phase")
            found.append(Violation("namespace", f"Namespace {name}", f"still there ({phase})"))
    return found


def incident_storm(
    incidents: Iterable[Obj],
    *,
    ceiling: int = INCIDENT_CEILING,
    final: bool = False,
    caused: Mapping[str, int] | None = None,
) -> list[Violation]:
    """At most `ceiling` Incidents per instance plus the times the suite broke that instance
    on purpose (`caused`, by "namespace/instance": each such break is one real Incident); with
    `final`, none still open."""
    per_instance: Counter[str] = Counter()
    found = []
    for incident in incidents:
        if not _major(incident):
            per_instance[_instance_of(incident)] += 1
        phase = (incident.get("status") or {}).get("phase") or "Detected"
        if final and phase not in DONE_INCIDENT_PHASES:
            found.append(
                Violation("incident-open", key(incident), f"{phase} ({_symptom(incident)})")
            )
    allowed = {where: ceiling + (caused or {}).get(where, 0) for where in per_instance}
    found += [
        Violation(
            "incident-storm", f"instance {where}", f"{count} incidents (ceiling {allowed[where]})"
        )
        for where, count in sorted(per_instance.items())
        if count > allowed[where]
    ]
    return found + incident_duplicates(incidents)


def incident_duplicates(incidents: Iterable[Obj]) -> list[Violation]:
    """Never two Incidents of one instance and symptom open at the same time: each one's
    [firstSeen, resolvedAt or closedAt) is disjoint from the next one's (dedup by key). A major
    incident is the parent of several instances' incidents, not one of them."""
    spans: defaultdict[tuple[str, str], list[tuple[dt.datetime, dt.datetime | None, str]]]
    spans = defaultdict(list)
    for incident in incidents:
        status = incident.get("status") or {}
        if _major(incident):
            continue
        if not (first := _moment(status.get("firstSeen"))):
            continue
        ended = _moment(status.get("resolvedAt")) or _moment(status.get("closedAt"))
        spans[(_instance_of(incident), _symptom(incident))].append((first, ended, key(incident)))
    found = []
    for (where, symptom), seen in sorted(spans.items()):
        seen.sort(key=lambda span: span[0])
        for (_, ended, earlier), (began, _, later) in itertools.pairwise(seen):
            if ended is None or began < ended:
                found.append(
                    Violation(
                        "incident-duplicate",
                        f"instance {where}",
                        f"{later} opened while {earlier} was open ({symptom})",
                    )
                )
    return found


def _major(incident: Obj) -> bool:
    labels = meta(incident).get("labels") or {}
    return labels.get(MAJOR_LABEL) == "true" or bool((incident.get("status") or {}).get("major"))


def _instance_of(incident: Obj) -> str:
    return f"{meta(incident).get('namespace')}/{(incident.get('spec') or {}).get('instance')}"


def _symptom(incident: Obj) -> str:
    status, spec = incident.get("status") or {}, incident.get("spec") or {}
    return str(status.get("symptom") or spec.get("symptom") or "")


def _moment(text: Any) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def event_storm(
    events: Iterable[Obj],
    objects: Iterable[Obj] = (),
    *,
    ceiling: int = EVENT_CEILING,
    per_generation: int = EVENTS_PER_GENERATION,
) -> list[Violation]:
    """At most `ceiling` Events (by their count) about any one it4it object, plus
    `per_generation` for each generation of it among `objects` (each spec change is a new
    plan that is applied, validated and handed over: a few Events each, no storm)."""
    generations = {uid(o): int(meta(o).get("generation") or 1) for o in objects}
    per_object: Counter[str] = Counter()
    allowed: dict[str, int] = {}
    for event in events:
        involved = event.get("involvedObject") or event.get("regarding") or {}
        if not str(involved.get("apiVersion", "")).startswith("it4it.dev/"):
            continue
        subject = (
            f"{involved.get('kind')} {involved.get('namespace')}/{involved.get('name')}"
            f" ({str(involved.get('uid', ''))[:8]})"
        )
        per_object[subject] += int(event.get("count") or 1)
        generation = generations.get(str(involved.get("uid", "")), 1)
        allowed[subject] = ceiling + per_generation * (generation - 1)
    return [
        Violation("event-storm", subject, f"{count} events (ceiling {allowed[subject]})")
        for subject, count in sorted(per_object.items())
        if count > allowed[subject]
    ]


def history_duplicates(instances: Iterable[Obj]) -> list[Violation]:
    """No entry twice in a DesiredProductInstance's status.history (release, planHash,
    result, at)."""
    found = []
    for dpi in instances:
        entries = Counter(
            (e.get("release"), e.get("planHash"), e.get("result"), e.get("at"))
            for e in (dpi.get("status") or {}).get("history") or []
        )
        found += [
            Violation("history", key(dpi), f"{count} x {entry[2]} of {entry[0]} at {entry[3]}")
            for entry, count in entries.items()
            if count > 1
        ]
    return found


def lost_changes(
    expected: Mapping[tuple[str, str], int],
    instances: Sequence[Obj],
    deployments: Sequence[Obj],
) -> list[str]:
    """The changes not reflected: `expected` maps (namespace, subscription) to the replicas
    its last spec change asked for; its instance's spec.parameters and its Deployment's
    spec.replicas must both say so (the instance and the Deployment are named after it)."""
    dpis = {(meta(d).get("namespace"), meta(d).get("name")): d for d in instances}
    deploys = {(meta(d).get("namespace"), meta(d).get("name")): d for d in deployments}
    lost = []
    for (namespace, name), replicas in sorted(expected.items()):
        dpi = dpis.get((namespace, name))
        have = (((dpi or {}).get("spec") or {}).get("parameters") or {}).get("replicas")
        if dpi is None or have != replicas:
            lost.append(f"{namespace}/{name}: instance has replicas={have}, asked {replicas}")
            continue
        deploy = deploys.get((namespace, name))
        running = ((deploy or {}).get("spec") or {}).get("replicas")
        if running != replicas:
            lost.append(f"{namespace}/{name}: Deployment has replicas={running}, asked {replicas}")
    return lost


def check(
    snapshot: Snapshot,
    *,
    planned: Mapping[str, int],
    last_restart: dt.datetime | None = None,
    ready_deadline: float = 60.0,
    gone_namespaces: Iterable[str] = (),
    final: bool = False,
    ignore: Collection[tuple[str, str]] = (),
    caused: Mapping[str, int] | None = None,
) -> list[Violation]:
    """Every invariant over one snapshot (`ignore`: subscriptions whose not being Ready was
    charged to an earlier fault; `caused`: incidents the suite caused on purpose, per
    "namespace/instance")."""
    s = snapshot
    return [
        *subscriptions_ready(
            s.subscriptions,
            taken_at=s.taken_at,
            last_restart=last_restart,
            deadline_seconds=ready_deadline,
            ignore=ignore,
        ),
        *children(s.instances, s.actuals, s.children, planned),
        *ownership(s.subscriptions, s.instances),
        *stuck_finalizers([*s.subscriptions, *s.instances, *s.actuals]),
        *namespaces_gone(s.namespaces, gone_namespaces),
        *incident_storm(s.incidents, final=final, caused=caused),
        *event_storm(s.events, [*s.subscriptions, *s.instances, *s.actuals, *s.incidents]),
        *history_duplicates(s.instances),
    ]
