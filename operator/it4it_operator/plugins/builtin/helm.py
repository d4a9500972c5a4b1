"""The Helm chart renderer: a release's `chart`, rendered by the real helm binary at plan time.

Product teams mostly ship Helm charts. A ProductRelease may therefore name a chart (repository,
name, version, archive digest, fixed values) instead of inline manifests. This plugin turns it
into the same list of objects the inline renderer returns, so tenancy checks, the plan hash,
approval, fulfilment and prune treat both designs alike; helm never talks to the cluster (the
operator applies what it rendered), and helm hooks and chart tests are not rendered, because
nothing here runs helm's install lifecycle.

Values given to helm: `spec.chart.values` with the release placeholders filled (the same
substitution as inline manifests: `$(params.NAME)`, `$(images.NAME)`, `$(instance.name)`,
`$(instance.namespace)`), then the validated parameters (defaults applied) merged over them at
the top level: where both hold an object they merge key by key, anything else the parameter
replaces. So a parameter `replicas` is `.Values.replicas` in the chart, and a chart wanting it
elsewhere writes `web: {replicaCount: "$(params.replicas)"}` in its fixed values.

The release name is the instance's name and `--namespace` its namespace. The archive is fetched
and verified by `charts.py`; `helm template` runs with a bounded time (IT4IT_HELM_TIMEOUT,
default 60 s, for fetching and rendering together). Renders are remembered in memory by chart
digest, instance and values, because every reconcile pass plans again.

The helm binary: `IT4IT_HELM`, else `helm` on PATH (as in the operator's image), else the one
the local control plane caches (`devcluster.tools`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from it4it_operator.plugins.builtin.charts import (
    ChartCache,
    ChartRef,
    Deadline,
    first_lines,
    run_helm,
)
from it4it_operator.plugins.builtin.placeholders import fill
from it4it_operator.plugins.interfaces import RenderContext, RenderError

DEFAULT_TIMEOUT = 60.0
MEMO_SIZE = 512
"""Renders remembered: each is a few objects; a miss costs one helm process."""
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def helm_command() -> list[str]:
    """How to run helm; RenderError when there is none to run."""
    if configured := os.environ.get("IT4IT_HELM"):
        return [configured]
    if found := shutil.which("helm"):
        return [found]
    from it4it_operator.devcluster import tools  # the developer's cache, a last resort

    cached = tools.binary("helm")
    if cached.is_file():
        return [str(cached)]
    raise RenderError(
        ["no helm binary to render the chart with: set IT4IT_HELM or put helm on PATH"]
    )


def timeout_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get("IT4IT_HELM_TIMEOUT", DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


def merge_values(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` merged into `base`: objects key by key, anything else replaced; new dicts."""
    merged: dict[str, Any] = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged


def chart_values(chart: Mapping[str, Any], context: RenderContext) -> dict[str, Any]:
    """The values helm renders with: fixed values with placeholders filled, parameters over
    them; RenderError names each unknown placeholder."""
    fixed = chart.get("values") or {}
    if not isinstance(fixed, Mapping):
        raise RenderError(["spec.chart.values must be an object"])
    problems: list[str] = []
    filled = fill(fixed, context, where="spec.chart.values", problems=problems)
    if problems:
        raise RenderError(problems)
    return merge_values(filled, context.params)


def parse_objects(text: str, ref: ChartRef) -> list[dict[str, Any]]:
    """The objects of helm's multi-document output; a `List` is unpacked into its items."""
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise RenderError([f"{ref} rendered YAML that does not parse: {exc}"]) from exc
    objects: list[dict[str, Any]] = []
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, dict):
            raise RenderError([f"{ref} rendered a document that is not an object: {document!r}"])
        if str(document.get("kind", "")).endswith("List") and "items" in document:
            objects.extend(item for item in document.get("items") or [] if item)
        else:
            objects.append(document)
    return objects


def template(
    helm: list[str],
    archive: Path,
    *,
    ref: ChartRef,
    context: RenderContext,
    values: Mapping[str, Any],
    deadline: Deadline,
) -> str:
    """The output of `helm template NAME ARCHIVE --namespace NS --values FILE --no-hooks`."""
    with tempfile.TemporaryDirectory(prefix="it4it-helm-") as scratch:
        values_file = Path(scratch) / "values.json"
        values_file.write_text(json.dumps(values), encoding="utf-8")
        command = [
            *helm,
            "template",
            context.instance_name,
            str(archive),
            "--namespace",
            context.instance_namespace,
            "--values",
            str(values_file),
            "--no-hooks",
        ]
        done = run_helm(
            command,
            Path(scratch),
            deadline,
            lambda exc: RenderError([f"helm could not be run to render {ref}: {exc}"]),
        )
    if done.returncode != 0:
        raise RenderError([f"helm template of {ref} failed: {first_lines(done.stderr)}"])
    return done.stdout


@dataclass
class _Memo:
    """Recent renders by (digest, instance, namespace, values), least recently used dropped."""

    size: int = MEMO_SIZE
    _entries: OrderedDict[tuple[str, ...], str] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple[str, ...]) -> list[dict[str, Any]] | None:
        with self._lock:
            text = self._entries.get(key)
            if text is None:
                return None
            self._entries.move_to_end(key)
        rendered: list[dict[str, Any]] = json.loads(text)  # a fresh copy for every caller
        return rendered

    def put(self, key: tuple[str, ...], objects: list[dict[str, Any]]) -> None:
        with self._lock:
            self._entries[key] = json.dumps(objects)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


@dataclass(frozen=True)
class HelmRenderer:
    """Renders `spec.chart` of a ProductRelease with helm template."""

    plugin_type: Literal["renderer"] = "renderer"
    name: str = "helm"
    cache: ChartCache = field(default_factory=ChartCache, compare=False)
    memo: _Memo = field(default_factory=_Memo, compare=False, repr=False)

    def render(self, design: Mapping[str, Any], context: RenderContext) -> list[dict[str, Any]]:
        chart = design.get("chart")
        if not isinstance(chart, Mapping):
            raise RenderError(["spec.chart must be an object naming a Helm chart"])
        ref = ChartRef.of(chart)
        values = chart_values(chart, context)
        key = (
            ref.digest,
            context.instance_name,
            context.instance_namespace,
            json.dumps(values, sort_keys=True, separators=(",", ":")),
        )
        if (remembered := self.memo.get(key)) is not None:
            return remembered
        deadline = Deadline(timeout_seconds(), str(ref))
        helm = helm_command()
        archive = self.cache.fetch(ref, deadline, helm)
        objects = parse_objects(
            template(helm, archive, ref=ref, context=context, values=values, deadline=deadline), ref
        )
        if not objects:
            raise RenderError([f"{ref} rendered no objects with these values"])
        self.memo.put(key, objects)
        return objects


PLUGIN = HelmRenderer()
