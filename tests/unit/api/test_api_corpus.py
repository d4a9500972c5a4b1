"""The invalid corpus and the samples agree with the generated schemas, offline.

The real verdict comes from the API server (tests/integration/test_api_admission.py); these
checks run in milliseconds and catch a corpus file with two mistakes, a wrong header, or a
sample that drifted from the API.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from it4it_operator.api.crdgen import crd
from it4it_operator.api.kinds import KINDS, kind_named

ROOT = Path(__file__).resolve().parents[3]
INVALID = ROOT / "tests" / "data" / "invalid"
SAMPLES = ROOT / "manifests" / "samples"
LAYERS = {"schema", "cel", "apiserver"}
KIND_NAMES = {k.kind for k in KINDS}


@dataclass(frozen=True)
class Mistake:
    path: Path
    field: str
    refused_by: str
    message: str | None
    documents: list[dict[str, Any]]


def load_mistake(path: Path) -> Mistake:
    text = path.read_text(encoding="utf-8")
    header = dict(re.findall(r"^# ([a-z-]+): (.*)$", text, flags=re.MULTILINE))
    return Mistake(
        path=path,
        field=header.get("field", ""),
        refused_by=header.get("refused-by", ""),
        message=header.get("message"),
        documents=[d for d in yaml.safe_load_all(text) if d],
    )


MISTAKES = [load_mistake(p) for p in sorted(INVALID.glob("*.yaml"))]


def _date_time(value: object) -> bool:
    if isinstance(value, str):
        if "T" not in value:
            return False
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time", raises=ValueError)(_date_time)


@cache
def validator(kind: str) -> Draft4Validator:
    document = crd(kind_named(kind))
    return Draft4Validator(
        document["spec"]["versions"][0]["schema"]["openAPIV3Schema"], format_checker=FORMATS
    )


def field_of(error: ValidationError) -> str:
    """The error's location written as the API server writes it: spec.images[0].image."""
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    if error.validator == "required":
        required, present = (
            cast(list[str], error.validator_value),
            cast(dict[str, Any], error.instance),
        )
        missing = [r for r in required if r not in present]
        path += f".{missing[0]}"
    return path.lstrip(".")


def schema_errors(document: dict[str, Any]) -> list[str]:
    return sorted({field_of(e) for e in validator(document["kind"]).iter_errors(document)})


def test_the_corpus_holds_at_least_forty_mistakes() -> None:
    assert len(MISTAKES) >= 40


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.path.stem)
def test_header_says_field_and_layer(mistake: Mistake) -> None:
    assert mistake.field, "first line must be `# field: <path>`"
    assert mistake.path.read_text(encoding="utf-8").startswith(f"# field: {mistake.field}\n")
    assert mistake.refused_by in LAYERS
    if mistake.refused_by == "cel":
        assert mistake.message, "a CEL refusal names the message the user reads"
    assert 1 <= len(mistake.documents) <= 2
    for document in mistake.documents:
        assert document["kind"] in KIND_NAMES
        assert "namespace" not in document["metadata"], "the test chooses the namespace"
    if mistake.field != "metadata.name":
        assert mistake.documents[-1]["metadata"]["name"] == mistake.path.stem


SCHEMA_MISTAKES = [m for m in MISTAKES if m.refused_by == "schema"]
OTHER_MISTAKES = [m for m in MISTAKES if m.refused_by != "schema"]


@pytest.mark.parametrize("mistake", SCHEMA_MISTAKES, ids=lambda m: m.path.stem)
def test_the_generated_schema_refuses_it_at_the_field(mistake: Mistake) -> None:
    assert schema_errors(mistake.documents[-1]) == [mistake.field]


@pytest.mark.parametrize("mistake", SCHEMA_MISTAKES, ids=lambda m: m.path.stem)
def test_the_models_refuse_it_too(mistake: Mistake) -> None:
    document = mistake.documents[-1]
    model = kind_named(document["kind"]).model
    with pytest.raises(ValueError, match="validation error"):
        model.model_validate_json(json.dumps(document), strict=True)


@pytest.mark.parametrize("mistake", OTHER_MISTAKES, ids=lambda m: m.path.stem)
def test_beyond_the_schema_the_file_is_valid(mistake: Mistake) -> None:
    """So the refusal can only come from the layer the header names."""
    for document in mistake.documents:
        assert schema_errors(document) == []


def sample_objects() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(SAMPLES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document and document["kind"] in KIND_NAMES:
                found.append((f"{path.name}:{document['metadata']['name']}", document))
    return found


SAMPLE_OBJECTS = sample_objects()


def test_there_is_a_sample_of_each_kind_a_user_writes() -> None:
    kinds = {d["kind"] for _, d in SAMPLE_OBJECTS}
    assert kinds == {"ProductRelease", "ServiceOffer", "Subscription", "Approval", "Incident"}


@pytest.mark.parametrize(("name", "document"), SAMPLE_OBJECTS, ids=[n for n, _ in SAMPLE_OBJECTS])
def test_every_sample_fits_schema_and_models(name: str, document: dict[str, Any]) -> None:
    assert schema_errors(document) == []
    kind_named(document["kind"]).model.model_validate_json(json.dumps(document), strict=True)


def test_samples_are_numbered_in_the_order_a_user_applies_them() -> None:
    names = [p.name for p in sorted(SAMPLES.glob("*.yaml"))]
    assert all(re.match(r"^[0-9]{2}-", n) for n in names)
    assert names[0] == "00-namespaces.yaml"


def test_the_subscription_accepts_the_offers_terms() -> None:
    by_kind = {d["kind"]: d for _, d in SAMPLE_OBJECTS}
    offer, subscription = by_kind["ServiceOffer"], by_kind["Subscription"]
    assert subscription["spec"]["offer"] == offer["metadata"]["name"]
    assert subscription["spec"]["acceptedTerms"] == offer["spec"]["terms"]["version"]


def test_sample_manifests_carry_no_namespace() -> None:
    releases = [d for _, d in SAMPLE_OBJECTS if d["kind"] == "ProductRelease"]
    assert [r["spec"]["version"] for r in releases] == ["1.0.0", "1.1.0"]
    for release in releases:
        kinds = sorted(m["kind"] for m in release["spec"]["manifests"])
        assert kinds == ["ConfigMap", "Deployment", "Service"]
        assert all("namespace" not in m["metadata"] for m in release["spec"]["manifests"])


def test_the_reported_incident_is_on_the_subscribed_instance() -> None:
    by_kind = {d["kind"]: d for _, d in SAMPLE_OBJECTS}
    incident, subscription = by_kind["Incident"], by_kind["Subscription"]
    assert incident["spec"]["source"] == "Reported"
    assert incident["spec"]["subscription"] == subscription["metadata"]["name"]
    assert incident["spec"]["instance"] == subscription["metadata"]["name"]
    assert incident["metadata"]["namespace"] == subscription["metadata"]["namespace"]
