"""Validation of deployment parameters against a JSON Schema, with defaults filled in.

Used where a value stream takes values from a person: Plan (DesiredProductInstance parameters
against the release's schema) and Subscribe (Subscription parameters against the offer's schema).
Every problem names the field it is about, so a condition message tells the user what to fix.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError


class ParameterError(ValueError):
    """The values do not satisfy the schema; `problems` holds one sentence per field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _path(prefix: str, error: ValidationError) -> str:
    parts = [prefix, *(str(p) for p in error.absolute_path)]
    return ".".join(p for p in parts if p)


def _text(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def schema_problems(schema: Mapping[str, Any]) -> list[str]:
    """Sentences saying why `schema` is not a valid JSON Schema (2020-12); empty when it is."""
    return list(_problems(_text(schema)))


@lru_cache(maxsize=512)
def _problems(text: str) -> tuple[str, ...]:
    """Checking a schema costs more than validating values: done once per distinct schema."""
    try:
        Draft202012Validator.check_schema(json.loads(text))
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return (f"schema at {where}: {exc.message}",)
    return ()


@lru_cache(maxsize=512)
def _validator(text: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(text))


def _fill_defaults(schema: Mapping[str, Any], values: dict[str, Any]) -> None:
    """Fill `default`s of object properties, recursing into nested objects that are present."""
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, Mapping):
            continue
        if name not in values and "default" in sub:
            values[name] = copy.deepcopy(sub["default"])
        if isinstance(values.get(name), dict):
            _fill_defaults(sub, values[name])


def _errors(schema: Mapping[str, Any], values: Any) -> Iterator[ValidationError]:
    return _validator(_text(schema)).iter_errors(values)


def validate_parameters(
    schema: Mapping[str, Any] | None, values: Mapping[str, Any] | None, *, field: str
) -> dict[str, Any]:
    """Return `values` with defaults filled, or raise ParameterError naming each bad field.

    `field` is the wire path of the values (e.g. "spec.parameters") used in the messages.
    An absent schema accepts any object.
    """
    filled: dict[str, Any] = copy.deepcopy(dict(values or {}))
    if not schema:
        return filled
    problems = schema_problems(schema)
    if problems:
        raise ParameterError(problems)
    _fill_defaults(schema, filled)
    found = sorted(_errors(schema, filled), key=lambda e: list(map(str, e.absolute_path)))
    if found:
        raise ParameterError([f"{_path(field, e)}: {e.message}" for e in found])
    return filled
