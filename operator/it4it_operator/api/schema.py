"""Pydantic JSON Schema -> structural OpenAPI v3 schema, as a CustomResourceDefinition needs it.

The API server accepts only *structural* schemas: every node has a type, no `$ref`, no
`anyOf`/`oneOf` choosing between types, `properties` and `additionalProperties` never together,
and unknown fields are kept only where a node says `x-kubernetes-preserve-unknown-fields`.
Pydantic writes 2020-12 JSON Schema with `$defs`, `anyOf [X, null]`, `const` and titles, so
this module rewrites it:

- `$ref` (and a lone `allOf`) are inlined; the field's own keywords (its description) win over
  the referenced model's (its docstring). A recursive model is refused: CRDs cannot recurse.
- `anyOf`/`oneOf` of one type and `null` become that type with `nullable: true`; any other
  union is refused, because the API server cannot say it.
- `title` and null defaults are dropped; `const` becomes a one-value `enum`; `uniqueItems`
  becomes `x-kubernetes-list-type: set` (the API server forbids `uniqueItems`); numeric
  `exclusiveMinimum`/`exclusiveMaximum` become the OpenAPI v3.0 boolean form.
- A free-form object (pydantic's `additionalProperties: true`, e.g. `dict[str, Any]` or a model
  with `extra="allow"`) gets `x-kubernetes-preserve-unknown-fields: true`; nothing else does.
- A keyword the API server does not know is an error, so nothing is lost silently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

_ALLOWED = frozenset(
    {
        "description",
        "type",
        "format",
        "nullable",
        "enum",
        "default",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "required",
        "example",
    }
)
_DROPPED = frozenset({"title", "$defs", "examples"})
_ANY_TYPE_MARKERS = ("x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string")
_NULL = {"type": "null"}


class NotStructuralError(ValueError):
    """The pydantic schema uses a construct a structural Kubernetes schema cannot express."""


def _enum_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values}
    if kinds == {str}:
        return "string"
    if kinds == {bool}:
        return "boolean"
    if kinds <= {int}:
        return "integer"
    raise NotStructuralError(f"enum values of mixed or unsupported types: {values!r}")


class _Converter:
    def __init__(self, defs: Mapping[str, Any]) -> None:
        self.defs = defs

    def _flatten(
        self, node: Mapping[str, Any], path: str, refs: tuple[str, ...]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Resolve $ref, lone allOf and nullable unions until the node stands on its own."""
        flat = {k: v for k, v in node.items() if k != "$defs"}
        while True:
            if "$ref" in flat:
                name = str(flat.pop("$ref")).rsplit("/", 1)[-1]
                if name in refs:
                    raise NotStructuralError(f"{path or '<root>'}: recursive model {name}")
                refs = (*refs, name)
                flat = {**self.defs[name], **flat}
            elif "allOf" in flat and len(flat["allOf"]) == 1:
                flat = {**flat.pop("allOf")[0], **flat}
            elif "anyOf" in flat or "oneOf" in flat:
                variants = flat.pop("anyOf", None) or flat.pop("oneOf")
                rest = [v for v in variants if v != _NULL]
                if len(rest) != 1:
                    raise NotStructuralError(f"{path or '<root>'}: union {variants!r}")
                if len(rest) < len(variants):
                    flat["nullable"] = True
                flat = {**rest[0], **flat}
            else:
                return flat, refs

    def convert(
        self, node: Mapping[str, Any], path: str = "", refs: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        flat, refs = self._flatten(node, path, refs)
        out: dict[str, Any] = {}
        for key, value in flat.items():
            if key in _DROPPED or (key == "default" and value is None):
                continue
            if key == "properties":
                out[key] = {
                    name: self.convert(sub, f"{path}.{name}", refs) for name, sub in value.items()
                }
            elif key == "items":
                out[key] = self.convert(value, f"{path}[]", refs)
            elif key == "additionalProperties":
                if isinstance(value, Mapping):
                    out[key] = self.convert(value, f"{path}.*", refs)
                elif value is True:
                    out["x-kubernetes-preserve-unknown-fields"] = True
            elif key == "const":
                out["enum"] = [value]
            elif key == "uniqueItems":
                if value:
                    out.setdefault("x-kubernetes-list-type", "set")
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
                out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
                out[key] = True
            elif key in _ALLOWED or key.startswith("x-kubernetes-"):
                out[key] = value
            else:
                raise NotStructuralError(f"{path or '<root>'}: unsupported keyword {key!r}")
        return self._finish(out, path)

    @staticmethod
    def _finish(out: dict[str, Any], path: str) -> dict[str, Any]:
        if "properties" in out and "additionalProperties" in out:
            raise NotStructuralError(f"{path}: both properties and additionalProperties")
        if "type" not in out and "enum" in out:
            out["type"] = _enum_type(out["enum"])
        if "type" not in out and not any(out.get(m) for m in _ANY_TYPE_MARKERS):
            raise NotStructuralError(f"{path or '<root>'}: no type (use a free-form type)")
        return out


def to_structural(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a pydantic JSON Schema (with its `$defs`) into a structural OpenAPI v3 schema."""
    return _Converter(schema.get("$defs", {})).convert(schema)


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The structural schema of a model, camelCase names as on the wire."""
    return to_structural(model.model_json_schema(by_alias=True, mode="validation"))


def resource_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The openAPIV3Schema of a kind: the model's schema with the standard envelope fields.

    apiVersion, kind and metadata are described by the API server itself; a CRD may only say
    that metadata is an object.
    """
    schema = model_schema(model)
    properties = schema["properties"]
    properties["apiVersion"] = {
        "type": "string",
        "description": "Versioned schema of this representation of an object: it4it.dev/v1alpha1.",
    }
    properties["kind"] = {
        "type": "string",
        "description": "The REST resource this object represents, in CamelCase.",
    }
    properties["metadata"] = {"type": "object"}
    return schema


def _walk(node: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    yield path, node
    for name, sub in (node.get("properties") or {}).items():
        yield from _walk(sub, f"{path}.{name}")
    if isinstance(node.get("items"), Mapping):
        yield from _walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), Mapping):
        yield from _walk(node["additionalProperties"], f"{path}.*")


def structural_problems(schema: Mapping[str, Any]) -> list[str]:
    """Sentences naming every node that would keep the API server from accepting the schema.

    A cheap offline check of the rules the generator relies on; the API server has the last
    word (tests/integration applies the CRDs).
    """
    problems: list[str] = []
    for path, node in _walk(schema, ""):
        where = path or "<root>"
        for key in ("$ref", "anyOf", "oneOf", "allOf", "title", "uniqueItems", "const"):
            if key in node:
                problems.append(f"{where}: has {key}")
        if "type" not in node and not any(node.get(m) for m in _ANY_TYPE_MARKERS):
            problems.append(f"{where}: has no type")
        if "properties" in node and "additionalProperties" in node:
            problems.append(f"{where}: has both properties and additionalProperties")
        if node.get("x-kubernetes-preserve-unknown-fields") is False:
            problems.append(f"{where}: x-kubernetes-preserve-unknown-fields must be true or unset")
    return problems


def undescribed_fields(schema: Mapping[str, Any]) -> list[str]:
    """Paths of properties without a description: `kubectl explain` would have nothing to say."""
    return [
        path
        for path, node in _walk(schema, "")
        if path and not path.endswith("[]") and not path.endswith(".*")
        if not path.startswith(".metadata") and not node.get("description")
    ]
