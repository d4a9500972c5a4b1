"""Pydantic JSON Schema becomes a structural Kubernetes schema; the CRDs carry what SREs need."""

from __future__ import annotations

import copy
from datetime import datetime
from functools import cache
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from it4it_operator.api import crdgen
from it4it_operator.api.common import ApiModel, FreeForm, cel, validations
from it4it_operator.api.kinds import KINDS, Kind, kind_named
from it4it_operator.api.schema import (
    NotStructuralError,
    model_schema,
    structural_problems,
    to_structural,
    undescribed_fields,
)


class Inner(ApiModel):
    """An inner shape."""

    model_config = ConfigDict(json_schema_extra=validations(cel("self.a > 0", "a is positive")))

    a: int = Field(default=1, description="A number.")


class Outer(ApiModel):
    """The outer shape."""

    inner: Inner = Field(description="Required inner.")
    maybe_inner: Inner | None = Field(default=None, description="Optional inner.")
    items: list[Inner] = Field(default_factory=list, max_length=3, description="Bounded list.")
    when: datetime | None = Field(default=None, description="A time.")
    choice: Literal["X", "Y"] = Field(default="X", description="An enum.")
    only: Literal["Z"] = Field(default="Z", description="A constant.")
    free: FreeForm | None = Field(default=None, description="Free-form.")
    labels: dict[str, str] = Field(default_factory=dict, description="String map.")
    tags: set[str] = Field(default_factory=set, description="A set.")


@cache
def _crd(kind: str) -> dict[str, Any]:
    return crdgen.crd(kind_named(kind))


def crd(kind: Kind) -> dict[str, Any]:
    """The generated CRD of a kind, computed once per test session."""
    return copy.deepcopy(_crd(kind.kind))


def props(schema: dict[str, Any]) -> dict[str, Any]:
    return dict(schema["properties"])


def test_refs_are_inlined_and_the_field_description_wins() -> None:
    inner = props(model_schema(Outer))["inner"]
    assert "$ref" not in inner
    assert inner["description"] == "Required inner."
    assert inner["properties"]["a"] == {"default": 1, "description": "A number.", "type": "integer"}


def test_rules_on_a_model_travel_with_it_wherever_it_is_used() -> None:
    schema = props(model_schema(Outer))
    rule = [{"rule": "self.a > 0", "message": "a is positive"}]
    assert schema["inner"]["x-kubernetes-validations"] == rule
    assert schema["items"]["items"]["x-kubernetes-validations"] == rule


def test_optional_becomes_nullable_without_anyof_or_null_default() -> None:
    maybe = props(model_schema(Outer))["maybeInner"]
    assert maybe["nullable"] is True
    assert maybe["type"] == "object"
    assert "anyOf" not in maybe and "default" not in maybe


def test_datetimes_keep_their_format_for_cel_timestamps() -> None:
    assert props(model_schema(Outer))["when"] == {
        "type": "string",
        "format": "date-time",
        "nullable": True,
        "description": "A time.",
    }


def test_literals_become_typed_enums_and_const_a_one_value_enum() -> None:
    schema = props(model_schema(Outer))
    assert schema["choice"]["enum"] == ["X", "Y"] and schema["choice"]["type"] == "string"
    assert schema["only"]["enum"] == ["Z"] and "const" not in schema["only"]


def test_only_free_form_objects_preserve_unknown_fields() -> None:
    schema = props(model_schema(Outer))
    assert schema["free"]["x-kubernetes-preserve-unknown-fields"] is True
    assert "x-kubernetes-preserve-unknown-fields" not in schema["labels"]
    assert schema["labels"]["additionalProperties"] == {"type": "string"}
    preserved = [
        name for name, sub in schema.items() if sub.get("x-kubernetes-preserve-unknown-fields")
    ]
    assert preserved == ["free"]


def test_unique_items_become_a_set_list() -> None:
    tags = props(model_schema(Outer))["tags"]
    assert tags["x-kubernetes-list-type"] == "set" and "uniqueItems" not in tags


def test_titles_are_dropped_everywhere() -> None:
    assert "title" not in repr(model_schema(Outer))


def test_bounds_on_lists_survive() -> None:
    assert props(model_schema(Outer))["items"]["maxItems"] == 3


def test_numeric_exclusive_bounds_become_the_openapi_v3_boolean_form() -> None:
    converted = to_structural({"type": "integer", "exclusiveMinimum": 0})
    assert converted == {"type": "integer", "minimum": 0, "exclusiveMinimum": True}


class Either(BaseModel):
    value: int | str


class Node(BaseModel):
    children: list[Node] = []


class Untyped(BaseModel):
    anything: Any


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (Either, "union"),
        (Node, "recursive model Node"),
        (Untyped, "no type"),
    ],
    ids=[
        "a union of two types is refused: the API server cannot say it",
        "a recursive model is refused: CRD schemas cannot recurse",
        "an untyped field is refused: use a free-form type instead",
    ],
)
def test_what_kubernetes_cannot_express_is_refused(model: type[BaseModel], problem: str) -> None:
    with pytest.raises(NotStructuralError, match=problem):
        model_schema(model)


def test_an_unknown_keyword_is_refused_rather_than_dropped() -> None:
    with pytest.raises(NotStructuralError, match="propertyNames"):
        to_structural({"type": "object", "propertyNames": {"pattern": "^a"}})


def test_structural_problems_names_each_bad_node() -> None:
    bad = {"type": "object", "properties": {"a": {"title": "A"}, "b": {"anyOf": []}}}
    assert structural_problems(bad) == [
        ".a: has title",
        ".a: has no type",
        ".b: has anyOf",
        ".b: has no type",
    ]


@pytest.fixture(scope="module", params=KINDS, ids=lambda k: k.kind)
def generated(request: pytest.FixtureRequest) -> dict[str, Any]:
    return crd(request.param)


def schema_of(document: dict[str, Any]) -> dict[str, Any]:
    return dict(document["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def test_every_crd_schema_is_structural(generated: dict[str, Any]) -> None:
    assert structural_problems(schema_of(generated)) == []


def test_every_field_has_a_description_for_kubectl_explain(generated: dict[str, Any]) -> None:
    assert undescribed_fields(schema_of(generated)) == []


def test_every_status_is_strict_but_keeps_kopf_progress(generated: dict[str, Any]) -> None:
    status = schema_of(generated)["properties"]["status"]
    assert "x-kubernetes-preserve-unknown-fields" not in status
    assert status["properties"]["kopf"]["x-kubernetes-preserve-unknown-fields"] is True
    for common in ("observedGeneration", "conditions", "phase"):
        assert common in status["properties"]


def test_conditions_are_a_map_list_keyed_by_type(generated: dict[str, Any]) -> None:
    conditions = schema_of(generated)["properties"]["status"]["properties"]["conditions"]
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    assert conditions["maxItems"] > 0
    assert set(conditions["items"]["required"]) >= {"type", "status", "lastTransitionTime"}


def test_every_crd_has_status_subresource_category_and_common_columns(
    generated: dict[str, Any],
) -> None:
    version = generated["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert generated["spec"]["names"]["categories"] == ["it4it"]
    names = [c["name"] for c in version["additionalPrinterColumns"]]
    assert names[-3:] == ["Phase", "Ready", "Age"]


def walk(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = [(path, node)]
    for name, sub in (node.get("properties") or {}).items():
        found += walk(sub, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            found += walk(node[key], f"{path}[]")
    return found


def test_every_cel_rule_has_a_message(generated: dict[str, Any]) -> None:
    for _, node in walk(schema_of(generated)):
        for rule in node.get("x-kubernetes-validations", []):
            assert rule["rule"] and rule["message"]


ENVELOPE = {".apiVersion", ".kind", ".metadata.name"}


def test_lists_and_strings_are_bounded_for_the_cel_cost_budget(generated: dict[str, Any]) -> None:
    for path, node in walk(schema_of(generated)):
        if node.get("type") == "array":
            assert "maxItems" in node, path
        free_string = node.get("type") == "string" and not ("enum" in node or "format" in node)
        if free_string and path not in ENVELOPE:
            assert "maxLength" in node, path


@pytest.mark.parametrize(
    ("kind", "short_names", "scope"),
    [
        ("ProductRelease", ["prel"], "Namespaced"),
        ("ServiceOffer", ["offer"], "Cluster"),
        ("Subscription", ["sub"], "Namespaced"),
        ("DesiredProductInstance", ["dpi"], "Namespaced"),
        ("Approval", None, "Namespaced"),
        ("ActualProductInstance", ["apinst"], "Namespaced"),
        ("Incident", ["inc"], "Namespaced"),
    ],
)
def test_names_and_scope_follow_the_api_sketch(
    kind: str, short_names: list[str] | None, scope: str
) -> None:
    document = crd(kind_named(kind))
    assert document["spec"]["names"].get("shortNames") == short_names
    assert document["spec"]["scope"] == scope
    assert document["metadata"]["name"] == f"{kind_named(kind).plural}.it4it.dev"


def spec_rules(kind: str, *path: str) -> list[str]:
    node = schema_of(crd(kind_named(kind)))["properties"]["spec"]
    for name in path:
        node = node["properties"][name]
        node = node.get("items", node) if node.get("type") == "array" else node
    return [r["rule"] for r in node.get("x-kubernetes-validations", [])]


def test_an_accepted_release_spec_is_immutable_by_a_transition_rule() -> None:
    (rule,) = [r for r in spec_rules("ProductRelease") if "oldSelf" in r]
    assert "oldSelf.acceptance.accepted" in rule and "self == oldSelf" in rule


def test_an_offer_has_exactly_one_of_release_or_bundle() -> None:
    assert "has(self.release) != has(self.bundle)" in spec_rules("ServiceOffer")


def spec_validations(kind: str) -> list[dict[str, str]]:
    node = schema_of(crd(kind_named(kind)))["properties"]["spec"]
    return list(node.get("x-kubernetes-validations", []))


@pytest.mark.parametrize(
    ("field", "compared"),
    [
        pytest.param(
            "spec.pricing",
            [
                "self.pricing.price == oldSelf.pricing.price",
                "self.pricing.currency == oldSelf.pricing.currency",
                "self.pricing.period == oldSelf.pricing.period",
            ],
            id="a price, currency or period change needs a new terms version",
        ),
        pytest.param(
            "spec.terms.sla",
            ["has(self.terms.sla) ? has(oldSelf.terms.sla) && self.terms.sla == oldSelf.terms.sla"],
            id="an SLA change, or adding or removing one, needs a new terms version",
        ),
        pytest.param(
            "spec.terms.summary",
            ["self.terms.summary == oldSelf.terms.summary", ": !has(oldSelf.terms.summary)"],
            id="a change of the terms' wording needs a new terms version",
        ),
    ],
)
def test_a_contract_change_needs_a_new_terms_version(field: str, compared: list[str]) -> None:
    (rule,) = [
        v for v in spec_validations("ServiceOffer") if v.get("fieldPath") == field[len("spec") :]
    ]
    assert rule["rule"].startswith("self.terms.version != oldSelf.terms.version || ")
    for part in compared:
        assert part in rule["rule"]
    assert ".?" not in rule["rule"], "the API server cannot estimate the cost of optionals"
    assert rule["message"].startswith(f"{field} ")
    assert "terms.version" in rule["message"]


def test_the_providers_cost_may_change_under_the_same_terms() -> None:
    rules = [v["rule"] for v in spec_validations("ServiceOffer") if "oldSelf" in v["rule"]]
    assert len(rules) == 3 and not any("cost" in rule for rule in rules)


def test_an_offer_validity_ends_after_it_starts() -> None:
    (rule,) = spec_rules("ServiceOffer", "validity")
    assert "self.until > self.from" in rule


@pytest.mark.parametrize("kind", ["Subscription", "DesiredProductInstance"])
def test_names_that_become_label_values_are_limited_to_63(kind: str) -> None:
    schema = schema_of(crd(kind_named(kind)))
    (rule,) = schema["x-kubernetes-validations"]
    assert rule["rule"] == "self.metadata.name.size() <= 63"
    assert rule["fieldPath"] == ".metadata.name"
    assert schema["properties"]["metadata"] == {
        "type": "object",
        "properties": {"name": {"type": "string"}},
    }


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        (("ProductRelease", "version"), "^(0|[1-9][0-9]*)"),
        (("ProductRelease", "buildPackage", "images", "image"), "@sha256:[a-f0-9]{64}$"),
        (("Approval", "planHash"), "^sha256:[a-f0-9]{64}$"),
        (("ServiceOffer", "pricing", "price"), r"^[0-9]{1,12}(\.[0-9]{1,2})?$"),
        (("ServiceOffer", "terms", "sla", "availability"), "^(100"),
    ],
    ids=[
        "version is semver",
        "images are pinned by digest",
        "planHash is sha256 and 64 hex",
        "money is a decimal string",
        "percent is a string up to 100",
    ],
)
def test_rules_the_schema_can_say_are_patterns(path: tuple[str, ...], pattern: str) -> None:
    kind, *fields = path
    node = schema_of(crd(kind_named(kind)))["properties"]["spec"]
    for name in fields:
        node = node["properties"][name]
        if node.get("type") == "array":
            node = node["items"]
    assert node["type"] == "string"
    assert pattern in node["pattern"]


def test_canary_percent_is_an_integer_from_0_to_100_defaulting_to_100() -> None:
    node = schema_of(crd(kind_named("ServiceOffer")))["properties"]["spec"]["properties"]
    canary = node["audience"]["properties"]["canaryPercent"]
    assert (canary["type"], canary["minimum"], canary["maximum"], canary["default"]) == (
        "integer",
        0,
        100,
        100,
    )
