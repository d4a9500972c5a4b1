"""Random objects that the generated CRD schema accepts round-trip through the models unchanged.

The strategies are derived from the structural schema itself (types, enums, patterns, bounds,
required fields), so this checks that the schema and the models agree on names (camelCase),
shapes and constraints, and that `model_dump` gives back exactly the wire form.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from it4it_operator.api.crdgen import crd
from it4it_operator.api.kinds import KINDS, Kind, kind_named

ASCII = st.characters(codec="ascii", min_codepoint=32)
KEYS = st.from_regex(r"[a-z][a-zA-Z0-9]{0,7}", fullmatch=True)
SCALARS = st.one_of(st.booleans(), st.integers(-1000, 1000), st.text(ASCII, max_size=8))
FREE_FORM = st.dictionaries(KEYS, SCALARS, max_size=3)
TIMES = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
)


def strings(node: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = node.get("minLength", 0), node.get("maxLength", 32)
    if node.get("format") == "date-time":
        return TIMES
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True, alphabet=ASCII).filter(
            lambda s: low <= len(s) <= high
        )
    return st.text(ASCII, min_size=low, max_size=min(high, 16))


def arrays(node: dict[str, Any]) -> st.SearchStrategy[list[Any]]:
    items = from_schema(node["items"])
    low, high = node.get("minItems", 0), min(node.get("maxItems", 3), 3)
    keys = node.get("x-kubernetes-list-map-keys")
    if keys:
        return st.lists(
            items, min_size=low, max_size=high, unique_by=lambda i: tuple(i.get(k) for k in keys)
        )
    unique = node.get("x-kubernetes-list-type") == "set"
    return st.lists(items, min_size=low, max_size=max(low, high), unique=unique)


def objects(node: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    if isinstance(node.get("additionalProperties"), dict):
        return st.dictionaries(KEYS, from_schema(node["additionalProperties"]), max_size=3)
    properties = node.get("properties")
    if properties is None:
        return FREE_FORM
    required = set(node.get("required", []))
    return st.fixed_dictionaries(
        {k: from_schema(v) for k, v in properties.items() if k in required},
        optional={k: from_schema(v) for k, v in properties.items() if k not in required},
    )


def from_schema(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema accepts (CEL rules aside); null never, absence instead."""
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "object" or node.get("x-kubernetes-preserve-unknown-fields"):
        return objects(node)
    if kind == "array":
        return arrays(node)
    if kind == "string":
        return strings(node)
    if kind == "integer":
        return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
    if kind == "boolean":
        return st.booleans()
    raise AssertionError(f"no strategy for {node}")


SPEC_RULES = {
    # The CEL rules that the models check too, so generated objects must keep them.
    "ProductRelease": lambda spec: ("manifests" in spec) != ("chart" in spec),
}


@cache
def resources(name: str) -> st.SearchStrategy[dict[str, Any]]:
    kind = kind_named(name)
    schema = crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    spec = from_schema(schema["spec"])
    if name in SPEC_RULES:
        spec = spec.filter(SPEC_RULES[name])
    return st.fixed_dictionaries(
        {
            "apiVersion": st.just("it4it.dev/v1alpha1"),
            "kind": st.just(kind.kind),
            "metadata": st.just({"name": "sample", "generation": 1}),
            "spec": spec,
            "status": from_schema(schema["status"]),
        }
    )


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_valid_object_round_trips_through_its_model(kind: Kind, data: st.DataObject) -> None:
    wire = data.draw(resources(kind.kind))
    model = kind.model.model_validate_json(json.dumps(wire), strict=True)
    assert model.model_dump(mode="json", exclude_unset=True) == wire


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_python_names_are_snake_case_and_wire_names_camel_case(kind: Kind) -> None:
    status = kind.status_model(observed_generation=2, phase="Ready")
    assert status.model_dump(exclude_none=True, exclude_defaults=True) == {
        "observedGeneration": 2,
        "phase": "Ready",
    }
