"""What the operator watches, and which objects a change reconciles: the dependency index.

Each controller's reconcile reads other objects (an instance its release and approvals, a
subscription its offer, namespace labels and instances, an offer its releases and subscribers).
This module declares the watched kinds with the indexes that answer "who depends on this?", and
`dependents()` maps one change to exactly the objects to reconcile. A change to an object itself
reconciles it only when more than its status changed (its spec, labels, annotations, finalizers
or deletion), so the operator's own status writes do not wake it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from it4it_operator import GROUP, VERSION
from it4it_operator.controllers.deploy.labels import INSTANCE_LABEL, SUBSCRIPTION_LABEL
from it4it_operator.controllers.queue import Key
from it4it_operator.k8s.cache import Watch
from it4it_operator.k8s.store import Change, Obj, trim_namespace, trim_pod, trim_replicaset

RELEASE, OFFER, SUBSCRIPTION = "ProductRelease", "ServiceOffer", "Subscription"
DPI, APPROVAL, ACTUAL, NAMESPACE, INCIDENT = (
    "DesiredProductInstance",
    "Approval",
    "ActualProductInstance",
    "Namespace",
    "Incident",
)
SERVICE_ACCOUNT = "ServiceAccount"
RECONCILED = (RELEASE, OFFER, SUBSCRIPTION, DPI, APPROVAL, ACTUAL, INCIDENT)
"""The kinds with a controller, in the order a resync visits them (the ActualProductInstance's
is Operate's Detect; the Incident's Diagnose and Resolve)."""
RELEASE_LABEL = "it4it.dev/release"
RELEASE_NAMESPACE_LABEL = "it4it.dev/release-namespace"


def _spec(obj: Obj) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _ns(obj: Obj) -> str:
    return str(_meta(obj).get("namespace") or "")


def _release_product(obj: Obj) -> Iterable[str]:
    return [f"{_ns(obj)}/{_spec(obj).get('product')}"]


def _offer_release(obj: Obj) -> Iterable[str]:
    ref = _spec(obj).get("release") or {}
    return [f"{ref['namespace']}/{ref['product']}"] if ref.get("product") else []


def _bundle_members(obj: Obj) -> Iterable[str]:
    return [str(m.get("offer")) for m in _spec(obj).get("bundle") or []]


def _subscription_offer(obj: Obj) -> Iterable[str]:
    return [str(_spec(obj).get("offer"))]


def _instance_release(obj: Obj) -> Iterable[str]:
    ref = _spec(obj).get("release") or {}
    return [f"{ref.get('namespace') or _ns(obj)}/{ref.get('name')}"]


def _approval_instance(obj: Obj) -> Iterable[str]:
    wanted = _spec(obj).get("desiredInstance")
    return [f"{_ns(obj)}/{wanted}"] if wanted else []


def _approval_incident(obj: Obj) -> Iterable[str]:
    wanted = _spec(obj).get("incident")
    return [f"{_ns(obj)}/{wanted}"] if wanted else []


def _incident_instance(obj: Obj) -> Iterable[str]:
    return [f"{_ns(obj)}/{_spec(obj).get('instance')}"]


def _incident_release(obj: Obj) -> Iterable[str]:
    labels = _meta(obj).get("labels") or {}
    release, where = labels.get(RELEASE_LABEL), labels.get(RELEASE_NAMESPACE_LABEL)
    return [f"{where}/{release}"] if release and where else []


def _instance_label(obj: Obj) -> Iterable[str]:
    label = (_meta(obj).get("labels") or {}).get(INSTANCE_LABEL)
    return [f"{_ns(obj)}/{label}"] if label else []


BY = "by"
"""The one secondary index of each kind that has one: from what it refers to, to it."""


def watches(managed: Iterable[tuple[str, str]], namespace: str | None = None) -> list[Watch]:
    """Our kinds, namespaces, and every kind a release may create (by instance label), with the
    ReplicaSets and Pods whose health Validate and Operate read; those only in `namespace` when
    the operator is confined to one (its own kinds stay cluster-wide: offers are cluster-scoped
    and releases live in the product teams' namespaces)."""
    ours = [
        Watch(GROUP, RELEASE, VERSION, indexers={BY: _release_product}),
        Watch(GROUP, OFFER, VERSION, indexers={BY: _offer_release, "bundle": _bundle_members}),
        Watch(GROUP, SUBSCRIPTION, VERSION, indexers={BY: _subscription_offer}),
        Watch(GROUP, DPI, VERSION, indexers={BY: _instance_release}),
        Watch(
            GROUP,
            APPROVAL,
            VERSION,
            indexers={BY: _approval_instance, INCIDENT: _approval_incident},
        ),
        Watch(GROUP, ACTUAL, VERSION),
        Watch(
            GROUP, INCIDENT, VERSION, indexers={BY: _incident_instance, RELEASE: _incident_release}
        ),
        Watch("", NAMESPACE, "v1", trim=trim_namespace),
    ]
    labelled = {
        "selector": INSTANCE_LABEL,
        "indexers": {BY: _instance_label},
        "namespace": namespace,
    }
    children = [Watch(group, kind, **labelled) for group, kind in sorted(managed)]  # type: ignore[arg-type]
    extra = [
        Watch("apps", "ReplicaSet", "v1", trim=trim_replicaset, **labelled),  # type: ignore[arg-type]
        Watch("", "Pod", "v1", trim=trim_pod, **labelled),  # type: ignore[arg-type]
        # Every ServiceAccount, not only the instances': a namespace's deployer (the identity
        # a release is applied as) is read from here, and its arrival wakes the instances.
        Watch("", SERVICE_ACCOUNT, "v1", indexers={BY: _instance_label}, namespace=namespace),
    ]
    special = {"ReplicaSet", "Pod", SERVICE_ACCOUNT}
    return ours + [w for w in children if w.kind not in special] + extra


def _key(kind: str, obj: Obj) -> Key:
    return Key(kind, _ns(obj), str(_meta(obj).get("name")))


def more_than_status(old: Obj | None, new: Obj | None) -> bool:
    """Whether a change touched anything but status (a creation and a deletion do)."""
    if old is None or new is None:
        return True
    before, after = _meta(old), _meta(new)
    fields = ("generation", "labels", "annotations", "finalizers", "deletionTimestamp")
    return any(before.get(f) != after.get(f) for f in fields) or _spec(old) != _spec(new)


def _status(obj: Obj | None, *path: str) -> Any:
    value: Any = (obj or {}).get("status") or {}
    for part in path:
        value = (value or {}).get(part)
    return value


def _lookup(cache: Any, kind: str, index: str, value: str) -> list[Obj]:
    return list(cache.store(kind).by_index(index, value))


def dependents(cache: Any, kind: str, change: Change) -> set[Key]:
    """The objects to reconcile after `change` of a `kind` object (old and new versions)."""
    old, new = change
    return set(_dependents(cache, kind, old, new))


def _dependents(cache: Any, kind: str, old: Obj | None, new: Obj | None) -> Iterator[Key]:
    either = new or old
    assert either is not None
    if kind in RECONCILED and more_than_status(old, new):
        yield _key(kind, either)
    versions = [o for o in (old, new) if o is not None]
    follow = _FOLLOW.get(kind, _of_instance_child)
    yield from follow(cache, old, new, versions, either)


def _of_release(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    for obj in versions:
        named = f"{_ns(obj)}/{_meta(obj)['name']}"
        yield from (_key(INCIDENT, i) for i in _lookup(cache, INCIDENT, RELEASE, named))
        yield from (_key(DPI, d) for d in _lookup(cache, DPI, BY, named))
        for value in _release_product(obj):
            yield from (_key(OFFER, o) for o in _lookup(cache, OFFER, BY, value))


def _of_offer(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    name = str(_meta(either)["name"])
    bundles = _lookup(cache, OFFER, "bundle", name)
    yield from (_key(OFFER, b) for b in bundles)
    for offer in [name, *(str(_meta(b)["name"]) for b in bundles)]:
        yield from (_key(SUBSCRIPTION, s) for s in _lookup(cache, SUBSCRIPTION, BY, offer))


def _of_subscription(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    return iter(())  # its offer only counts it: see `tallies`


def tallies(kind: str, change: Change) -> set[Key]:
    """The objects that only count `change` (an offer its subscribers): queued a little later,
    so that a burst of changes is counted in one write, not one write each."""
    old, new = change
    if kind != SUBSCRIPTION or not more_than_status(old, new):
        return set()
    return {Key(OFFER, "", str(_spec(obj).get("offer"))) for obj in (old, new) if obj is not None}


def _of_instance(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    yield Key(ACTUAL, _ns(either), str(_meta(either)["name"]))  # Detect follows hand-over
    for obj in versions:
        if sub := (_meta(obj).get("labels") or {}).get(SUBSCRIPTION_LABEL):
            yield Key(SUBSCRIPTION, _ns(obj), sub)
    if _status(old, "planHash") != _status(new, "planHash") or more_than_status(old, new):
        named = f"{_ns(either)}/{_meta(either)['name']}"
        yield from (_key(APPROVAL, a) for a in _lookup(cache, APPROVAL, BY, named))


def _of_approval(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    for obj in versions:
        if wanted := _spec(obj).get("desiredInstance"):
            yield Key(DPI, _ns(obj), str(wanted))
        if wanted := _spec(obj).get("incident"):
            yield Key(INCIDENT, _ns(obj), str(wanted))


def _of_actual(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    name, namespace = str(_meta(either)["name"]), _ns(either)
    if more_than_status(old, new):
        yield Key(DPI, namespace, name)
    else:
        yield Key(ACTUAL, namespace, name)  # what Validate wrote is what Detect reads
    if _status(old, "symptoms") != _status(new, "symptoms"):
        yield from (_key(INCIDENT, i) for i in _lookup(cache, INCIDENT, BY, f"{namespace}/{name}"))
    if _status(old, "health") != _status(new, "health") and _handed_over(cache, namespace, name):
        # In a change, the instance's own status (Validated, Ready) tells the subscription;
        # after hand-over, a change of health is the news of its service.
        yield from _subscription_of(cache, namespace, name)


def _of_incident(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    if _status(old, "phase") == _status(new, "phase") and old is not None and new is not None:
        return
    instance = str(_spec(either).get("instance"))
    yield Key(ACTUAL, _ns(either), instance)  # its count of open incidents
    if parent := _status(either, "parent"):
        yield Key(INCIDENT, _ns(either), str(parent))  # a major incident follows its members
    yield from _subscription_of(cache, _ns(either), instance)
    for value in _incident_release(either):
        namespace, name = value.split("/", 1)
        yield Key(RELEASE, namespace, name)


def _of_namespace(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    if old is None or new is None or _meta(old).get("labels") != _meta(new).get("labels"):
        namespace = str(_meta(either)["name"])
        yield from (_key(SUBSCRIPTION, s) for s in cache.store(SUBSCRIPTION).select(namespace))


def _of_service_account(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    """An instance's own ServiceAccount is a managed object; any other may be the namespace's
    deployer, whose arrival or removal the namespace's instances must hear of."""
    if any(_instance_label(v) for v in versions):
        yield from _of_instance_child(cache, old, new, versions, either)
    elif old is None or new is None:
        yield from (_key(DPI, d) for d in cache.store(DPI).select(_ns(either)))


def _of_instance_child(
    cache: Any, old: Obj | None, new: Obj | None, versions: list[Obj], either: Obj
) -> Iterator[Key]:
    """A managed object, ReplicaSet or Pod of an instance: Validate and Detect look again."""
    for obj in versions:
        for value in _instance_label(obj):
            namespace, name = value.split("/", 1)
            yield Key(DPI, namespace, name)
            yield Key(ACTUAL, namespace, name)


Follow = Callable[[Any, "Obj | None", "Obj | None", list[Obj], Obj], Iterator[Key]]
_FOLLOW: dict[str, Follow] = {
    RELEASE: _of_release,
    OFFER: _of_offer,
    SUBSCRIPTION: _of_subscription,
    DPI: _of_instance,
    APPROVAL: _of_approval,
    ACTUAL: _of_actual,
    INCIDENT: _of_incident,
    NAMESPACE: _of_namespace,
    SERVICE_ACCOUNT: _of_service_account,
}
"""Who depends on a change of each kind (besides the object itself)."""


def _handed_over(cache: Any, namespace: str, instance: str) -> bool:
    status = _status(cache.store(DPI).get(namespace, instance))
    return bool(status.get("stablePlanHash")) and status.get("stablePlanHash") == status.get(
        "planHash"
    )


def _subscription_of(cache: Any, namespace: str, instance: str) -> Iterator[Key]:
    dpi = cache.store(DPI).get(namespace, instance)
    if dpi and (sub := (_meta(dpi).get("labels") or {}).get(SUBSCRIPTION_LABEL)):
        yield Key(SUBSCRIPTION, namespace, sub)
