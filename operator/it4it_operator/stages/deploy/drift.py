"""Validate Deployment: compare what runs with what was planned.

"Shall validate that the discovered Actual Product Instance model is compatible with the Desired
Product model." The desired objects are a subset of what lives in the cluster: the API server and
other controllers add defaults and status, so only the fields the plan sets are compared. Lists of
named items (containers, env, ports, volumes) are matched by name, other lists by index. Secret
values never appear in a message. The result is deterministic and bounded, fit for
`ActualProductInstance.status.drift`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import islice
from typing import Any

from it4it_operator.stages.deploy.objects import ObjectKey, describe, metadata_of, object_key

DRIFT_LIMIT = 50
"""At most this many entries; the last one says how many more were found."""

_IGNORED_TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "status", "stringData"})
_COMPARED_METADATA = ("labels", "annotations")
_SECRET_FIELDS = frozenset({"data", "binaryData"})

_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX: dict[str | None, Decimal] = {
    None: Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    **{s: Decimal(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
}


def _quantity(value: str) -> Decimal | None:
    match = _QUANTITY.match(value)
    if not match:
        return None
    return Decimal(match[1]) * _SUFFIX[match[2]]


def _same(want: Any, got: Any) -> bool:
    """Equal, or equal Kubernetes quantities ("500m" and "0.5", which the API server rewrites)."""
    if want == got and type(want) is type(got):
        return True
    if isinstance(want, str) and isinstance(got, str):
        a, b = _quantity(want), _quantity(got)
        return a is not None and a == b
    return False


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _named(items: Sequence[Any]) -> bool:
    """Items matched by name: all objects with distinct names (volumeMounts may repeat one)."""
    names = [i.get("name") for i in items if isinstance(i, Mapping) and "name" in i]
    return bool(items) and len(names) == len(items) and len(set(map(str, names))) == len(names)


def _list_diffs(path: str, want: Sequence[Any], got: Any, secret: bool) -> Iterator[str]:
    if not isinstance(got, list):
        yield from _leaf(path, want, got, secret)
    elif _named(want) and all(isinstance(i, Mapping) for i in got):
        by_name = {i.get("name"): i for i in got}
        for item in want:
            yield from _diffs(
                f"{path}[name={item['name']}]", item, by_name.get(item["name"]), secret
            )
    else:
        for index, item in enumerate(want):
            yield from _diffs(
                f"{path}[{index}]", item, got[index] if index < len(got) else None, secret
            )


def _leaf(path: str, want: Any, got: Any, secret: bool) -> Iterator[str]:
    if got is None:
        yield f"{path} is not set" + ("" if secret else f", want {_show(want)}")
    elif secret:
        yield f"{path} differs"
    else:
        yield f"{path} is {_show(got)}, want {_show(want)}"


def _diffs(path: str, want: Any, got: Any, secret: bool = False) -> Iterator[str]:
    """Differences where `got` does not contain `want`, as "path is X, want Y" sentences."""
    if want is None:
        return
    if isinstance(want, Mapping):
        if not isinstance(got, Mapping):
            yield from _leaf(path, want, got, secret)
            return
        for key in sorted(want):
            yield from _diffs(
                f"{path}.{key}" if path else str(key), want[key], got.get(key), secret
            )
    elif isinstance(want, list):
        yield from _list_diffs(path, want, got, secret)
    elif not _same(want, got):
        yield from _leaf(path, want, got, secret)


def _object_diffs(desired: Mapping[str, Any], live: Mapping[str, Any]) -> Iterator[str]:
    is_secret = desired.get("kind") == "Secret"
    for field in _COMPARED_METADATA:
        want = metadata_of(desired).get(field)
        yield from _diffs(f"metadata.{field}", want, metadata_of(live).get(field))
    for field in sorted(set(desired) - _IGNORED_TOP_LEVEL):
        secret = is_secret and field in _SECRET_FIELDS
        yield from _diffs(field, desired[field], live.get(field), secret)


def _drift(
    desired: Sequence[Mapping[str, Any]], live: Mapping[ObjectKey, Mapping[str, Any] | None]
) -> Iterator[str]:
    for obj in desired:
        current = live.get(object_key(obj))
        entries = iter(["missing"]) if current is None else _object_diffs(obj, current)
        for entry in entries:
            yield f"{describe(obj)}: {entry}"


def compute_drift(
    desired: Sequence[Mapping[str, Any]],
    live: Mapping[ObjectKey, Mapping[str, Any] | None],
    *,
    limit: int = DRIFT_LIMIT,
) -> list[str]:
    """Sentences such as "Deployment/web: spec.replicas is 5, want 3" or "Service/web: missing".

    `live` maps `objects.object_key(obj)` to the live object, or to None (or lacks the key) when
    it does not exist. Returns at most `limit` entries, the last saying when more were found.
    """
    found = list(islice(_drift(desired, live), limit + 1))
    if len(found) > limit:
        return [*found[: limit - 1], "more differences were found; the list is truncated"]
    return found
