"""The release placeholders, filled in one place for every renderer that takes them.

A deployment design's string values may hold `$(params.NAME)` (NAME may be dotted for nested
values), `$(images.NAME)`, `$(instance.name)` and `$(instance.namespace)`: the inline manifests
and a Helm chart's fixed values alike, so a product team writes them one way whatever the
design. A value that is exactly one placeholder takes the value's type
(`replicas: "$(params.replicas)"` becomes 3); a placeholder inside a longer string is written as
text. Other `$(...)` forms are left alone: Kubernetes itself expands `$(VAR)` in container
commands and env. Keys are never substituted; inputs are never mutated.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from it4it_operator.plugins.interfaces import RenderContext

PLACEHOLDER = re.compile(r"\$\((params|images|instance)(?:\.([^()\s]*))?\)")


class _UnknownPlaceholderError(LookupError):
    pass


def _param(params: Mapping[str, Any], name: str) -> Any:
    value: Any = params
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise _UnknownPlaceholderError(f"parameter {name!r} is not set")
        value = value[part]
    return value


def _lookup(context: RenderContext, source: str, name: str | None) -> Any:
    if not name:
        raise _UnknownPlaceholderError(f"$({source}) needs a name, as in $({source}.NAME)")
    if source == "params":
        return _param(context.params, name)
    if source == "images":
        if name not in context.images:
            known = ", ".join(sorted(context.images)) or "none"
            raise _UnknownPlaceholderError(
                f"image {name!r} is not in the build package (images: {known})"
            )
        return context.images[name]
    instance = {"name": context.instance_name, "namespace": context.instance_namespace}
    if name not in instance:
        raise _UnknownPlaceholderError("only $(instance.name) and $(instance.namespace) exist")
    return instance[name]


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _child(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    text = str(key)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", text):
        return f"{path}.{text}" if path else text
    return f"{path}[{json.dumps(text)}]"


@dataclass
class _Substitution:
    context: RenderContext
    where: str
    problems: list[str]

    def text(self, value: str, path: str) -> Any:
        try:
            whole = PLACEHOLDER.fullmatch(value)
            if whole:
                return copy.deepcopy(_lookup(self.context, whole[1], whole[2]))
            return PLACEHOLDER.sub(lambda m: _as_text(_lookup(self.context, m[1], m[2])), value)
        except _UnknownPlaceholderError as exc:
            self.problems.append(f"{self.where} at {path or '(root)'}: {value!r}: {exc}")
            return value

    def value(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return self.text(value, path)
        if isinstance(value, Mapping):
            return {k: self.value(v, _child(path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, _child(path, i)) for i, v in enumerate(value)]
        return value


def fill(value: Any, context: RenderContext, *, where: str, problems: list[str]) -> Any:
    """A copy of `value` with every placeholder filled from `context`.

    Each unknown placeholder appends one sentence to `problems`, starting with `where` (e.g.
    "manifest 0 (ConfigMap/x)") and naming the path inside `value`; the placeholder stays as
    written, so callers raise RenderError once they have looked at everything.
    """
    return _Substitution(context, where, problems).value(value, "")
