"""The typed interfaces every automation plugin implements, and the values they exchange.

A plugin is any object with a `plugin_type` ("renderer", "health", "runbook" or "notifier"), a
`name`, and the methods of its Protocol below. Plugins do no Kubernetes I/O themselves: the
handlers read the cluster, call the plugin, and write what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

PluginType = Literal["renderer", "health", "runbook", "notifier"]
PLUGIN_TYPES: tuple[PluginType, ...] = ("renderer", "health", "runbook", "notifier")

Health = Literal["Healthy", "Progressing", "Degraded", "Missing"]


class RenderError(ValueError):
    """The deployment design cannot be rendered; one sentence per problem, each naming the
    manifest and the field.

    `reason` becomes the Planned condition's reason (CamelCase, stable). `retry_seconds` says
    that trying again may help (a repository that is down, a chart not published yet) and how
    soon; None means only a change of the release or the parameters can.
    """

    def __init__(
        self,
        problems: list[str],
        *,
        reason: str = "RenderFailed",
        retry_seconds: float | None = None,
    ) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.reason = reason
        self.retry_seconds = retry_seconds


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may substitute: filled-in parameters, images by name, the instance."""

    params: Mapping[str, Any]
    images: Mapping[str, str]
    instance_name: str
    instance_namespace: str

    @staticmethod
    def images_of(release_spec: Mapping[str, Any]) -> dict[str, str]:
        """Images by name from a ProductRelease spec's `buildPackage.images`."""
        images = (release_spec.get("buildPackage") or {}).get("images") or []
        return {str(i["name"]): str(i["image"]) for i in images}


@dataclass(frozen=True)
class HealthReport:
    """One object's health and, for people, why."""

    health: Health
    message: str = ""


@dataclass(frozen=True)
class Notification:
    """Something a consumer or resolver group should hear about, with a stable CamelCase reason.

    `regarding` is the object it is about ({apiVersion, kind, name, namespace, uid}).
    """

    reason: str
    message: str
    severity: Literal["Normal", "Warning"] = "Normal"
    regarding: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Renderer(Protocol):
    """Turns a release's deployment design into Kubernetes objects."""

    @property
    def plugin_type(self) -> Literal["renderer"]: ...

    @property
    def name(self) -> str: ...

    def render(self, design: Mapping[str, Any], context: RenderContext) -> list[dict[str, Any]]:
        """Objects for `design` (the ProductRelease spec); raises RenderError on a bad design."""
        ...


@runtime_checkable
class HealthAssessor(Protocol):
    """Folds the live state of the kinds it handles into a HealthReport."""

    @property
    def plugin_type(self) -> Literal["health"]: ...

    @property
    def name(self) -> str: ...
    @property
    def kinds(self) -> frozenset[tuple[str, str]]:
        """(apiGroup, kind) pairs this assessor judges; the core group is ""."""
        ...

    def assess(
        self, obj: Mapping[str, Any], *, pods: Sequence[Mapping[str, Any]] = ()
    ) -> HealthReport:
        """Health of the live `obj`; `pods` are its pods, when the handler has listed them."""
        ...


@runtime_checkable
class RunbookAction(Protocol):
    """A course of action for an incident (Operate: Restart, Rollback, Scale, Reapply, ...)."""

    @property
    def plugin_type(self) -> Literal["runbook"]: ...

    @property
    def name(self) -> str: ...

    def plan(
        self, incident: Mapping[str, Any], instance: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """Steps to resolve `incident` on the ActualProductInstance `instance`.

        Each step is {"target": {apiVersion, kind, namespace, name}, "patch": <merge patch>,
        "description": str}; the handler applies them in order. A step may carry "playbook"
        instead of "patch": {"runbook": name, "playbook": <Ansible playbook YAML>,
        "timeoutSeconds": int, "extravars": {...}}, an Ansible run against the target (the
        controller runs it and records the result). Raises ValueError, with a sentence, when the
        course of action cannot apply (e.g. the runbook it names is missing).
        """
        ...


@runtime_checkable
class Notifier(Protocol):
    """Tells consumers and resolver groups what happened."""

    @property
    def plugin_type(self) -> Literal["notifier"]: ...

    @property
    def name(self) -> str: ...

    def notify(self, notification: Notification) -> Mapping[str, Any] | None:
        """Deliver `notification`, or return what the handler must deliver (None when done)."""
        ...
