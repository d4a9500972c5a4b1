"""Find the automation plugins installed with the operator and look them up by purpose.

Plugins register through the `it4it.plugins` entry point group, so installing a Python
distribution is all it takes to add one; the built-ins in pyproject.toml are registered the same
way. Loading fails fast and names the entry point when a plugin is broken or two plugins claim the
same name or kind, so a misconfigured operator does not start.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal, TypeVar

from it4it_operator.plugins.interfaces import (
    PLUGIN_TYPES,
    HealthAssessor,
    HealthReport,
    Notifier,
    Renderer,
    RunbookAction,
)

T = TypeVar("T")
GROUP = "it4it.plugins"
_PROTOCOLS: dict[str, type[Any]] = {
    "renderer": Renderer,
    "health": HealthAssessor,
    "runbook": RunbookAction,
    "notifier": Notifier,
}


class PluginError(RuntimeError):
    """A plugin cannot be loaded or conflicts with another; the message names the entry point."""


class PluginNotFoundError(LookupError):
    """No plugin of that type and name is installed; the message lists those that are."""


@dataclass(frozen=True)
class PluginRow:
    """One line of `it4it plugins`."""

    type: str
    name: str
    source: str
    handles: str


@dataclass(frozen=True)
class ExistsAssessor:
    """The fallback for kinds no plugin knows: an object that exists is Healthy."""

    plugin_type: Literal["health"] = "health"
    name: str = "exists"
    kinds: frozenset[tuple[str, str]] = frozenset()

    def assess(
        self, obj: Mapping[str, Any], *, pods: Sequence[Mapping[str, Any]] = ()
    ) -> HealthReport:
        return HealthReport("Healthy", "the object exists")


EXISTS = ExistsAssessor()


@dataclass
class PluginRegistry:
    """The loaded plugins by type and name, and health assessors by (group, kind)."""

    renderers: dict[str, Renderer] = field(default_factory=dict)
    assessors: dict[str, HealthAssessor] = field(default_factory=dict)
    runbooks: dict[str, RunbookAction] = field(default_factory=dict)
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    by_kind: dict[tuple[str, str], HealthAssessor] = field(default_factory=dict)

    def add(self, plugin: Any, source: str) -> None:
        """Register `plugin` (loaded from `source`); PluginError on a bad type or a clash."""
        kind = getattr(plugin, "plugin_type", None)
        if kind not in PLUGIN_TYPES:
            raise PluginError(
                f"plugin {source} has plugin_type {kind!r}; expected one of {list(PLUGIN_TYPES)}"
            )
        if not isinstance(plugin, _PROTOCOLS[kind]):
            raise PluginError(f"plugin {source} lacks the methods of a {kind} plugin")
        name = str(plugin.name)
        if (kind, name) in self.sources:
            raise PluginError(
                f"{kind} plugin {name!r} from {source} clashes with {self.sources[kind, name]}"
            )
        if kind == "renderer":
            self.renderers[name] = plugin
        elif kind == "health":
            self._add_assessor(plugin, source)
            self.assessors[name] = plugin
        elif kind == "runbook":
            self.runbooks[name] = plugin
        else:
            self.notifiers[name] = plugin
        self.sources[kind, name] = source

    def _add_assessor(self, assessor: HealthAssessor, source: str) -> None:
        for key in sorted(assessor.kinds):
            if key in self.by_kind:
                other = self.by_kind[key].name
                raise PluginError(
                    f"health plugin {assessor.name!r} from {source} claims {key[0]}/{key[1]}, "
                    f"which health plugin {other!r} already handles"
                )
        self.by_kind.update(dict.fromkeys(assessor.kinds, assessor))

    def renderer(self, name: str) -> Renderer:
        return _find("renderer", self.renderers, name)

    def runbook(self, name: str) -> RunbookAction:
        return _find("runbook", self.runbooks, name)

    def assessor_for(self, group: str, kind: str) -> HealthAssessor:
        """The assessor for (group, kind), or one that calls any existing object Healthy."""
        return self.by_kind.get((group, kind), EXISTS)

    def assess(
        self,
        group: str,
        kind: str,
        obj: Mapping[str, Any] | None,
        *,
        pods: Sequence[Mapping[str, Any]] = (),
    ) -> HealthReport:
        """Health of a live object, Missing when `obj` is None (it does not exist)."""
        if obj is None:
            return HealthReport("Missing", f"{kind} not found")
        return self.assessor_for(group, kind).assess(obj, pods=pods)

    def describe(self) -> list[PluginRow]:
        """Every plugin, sorted by type then name, for `it4it plugins`."""
        rows = []
        for (kind, name), source in self.sources.items():
            handles = ""
            if kind == "health":
                kinds = sorted(self.assessors[name].kinds)
                handles = ", ".join(f"{g}/{k}" if g else k for g, k in kinds)
            rows.append(PluginRow(kind, name, source, handles))
        return sorted(rows, key=lambda r: (PLUGIN_TYPES.index(r.type), r.name))


def _find(kind: str, plugins: Mapping[str, T], name: str) -> T:
    if name not in plugins:
        known = ", ".join(sorted(plugins)) or "none"
        raise PluginNotFoundError(f"no {kind} plugin named {name!r} (installed: {known})")
    return plugins[name]


def load_plugins(
    found: Iterable[EntryPoint] | None = None, *, disabled: Collection[str] = ()
) -> PluginRegistry:
    """Load every `it4it.plugins` entry point (or `found`), skipping names in `disabled`."""
    registry = PluginRegistry()
    for point in sorted(
        entry_points(group=GROUP) if found is None else found, key=lambda p: p.name
    ):
        if point.name in disabled:
            continue
        source = f"{point.name} = {point.value}"
        try:
            plugin = point.load()
        except Exception as exc:
            raise PluginError(f"plugin {source} failed to load: {exc}") from exc
        registry.add(plugin, source)
    return registry
