"""The inline-manifests renderer: a release's `manifests` with placeholders filled in.

Fulfill Deployment: "Shall create the Desired Product Instance topology from the Product Design."
The deployment design of a ProductRelease is a list of namespaced objects whose string values may
hold the placeholders of `placeholders.py` (`$(params.NAME)`, `$(images.NAME)`,
`$(instance.name)`, `$(instance.namespace)`); a value that is exactly one placeholder takes the
value's type. Inputs are never mutated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from it4it_operator.plugins.builtin.placeholders import PLACEHOLDER, fill
from it4it_operator.plugins.interfaces import RenderContext, RenderError

__all__ = ["PLACEHOLDER", "PLUGIN", "InlineRenderer", "render_manifests"]


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
        rendered.append(fill(manifest, context, where=_where(index, manifest), problems=problems))
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
