"""The inline-manifests renderer: a release's `manifests` with placeholders filled in.

Fulfill Deployment: "Shall create the Desired Product Instance topology from the Product Design."
The deployment design of a ProductRelease is a list of namespaced objects whose string values may
hold `$(params.NAME)` (NAME may be dotted for nested values), `$(images.NAME)`,
`$(instance.name)` and `$(instance.namespace)`. A value that is exactly one placeholder takes the
value's type (`replicas: "$(params.replicas)"` becomes 3); a placeholder inside a longer string is
written as text. Other `$(...)` forms are left alone: Kubernetes itself expands `$(VAR)` in
container commands and env. Keys are never substituted; inputs are never mutated.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from it4it_operator.plugins.interfaces import RenderContext, RenderError

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


def _where(index: int, manifest: Mapping[str, Any]) -> str:
    metadata = manifest.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return f"manifest {index} ({manifest.get('kind') or '?'}/{name or '?'})"


def render_manifests(
    manifests: Sequence[Mapping[str, Any]],
    *,
    params: Mapping[str, Any],
    images: Mapping[str, str],
    instance_name: str,
    instance_namespace: str,
) -> list[dict[str, Any]]:
    """New objects with every placeholder filled; RenderError lists each unknown placeholder."""
    context = RenderContext(params, images, instance_name, instance_namespace)
    problems: list[str] = []
    rendered: list[dict[str, Any]] = []
    for index, manifest in enumerate(manifests):
        if not isinstance(manifest, Mapping):
            problems.append(f"manifest {index} is not an object")
            continue
        substitution = _Substitution(context, _where(index, manifest), problems)
        rendered.append(substitution.value(manifest, ""))
    if problems:
        raise RenderError(problems)
    return rendered


@dataclass(frozen=True)
class InlineRenderer:
    """Renders `spec.manifests` of a ProductRelease."""

    plugin_type: Literal["renderer"] = "renderer"
    name: str = "inline"

    def render(self, design: Mapping[str, Any], context: RenderContext) -> list[dict[str, Any]]:
        manifests = design.get("manifests")
        if not isinstance(manifests, list):
            raise RenderError(["spec.manifests must be a list of Kubernetes objects"])
        return render_manifests(
            manifests,
            params=context.params,
            images=context.images,
            instance_name=context.instance_name,
            instance_namespace=context.instance_namespace,
        )


PLUGIN = InlineRenderer()
