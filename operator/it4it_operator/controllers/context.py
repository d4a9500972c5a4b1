"""What every controller needs, built once at operator start-up and passed through kopf's memo."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from it4it_operator.k8s import Kube
from it4it_operator.plugins.registry import PluginRegistry, load_plugins
from it4it_operator.stages.deploy.tenancy import DEFAULT_ALLOWED_KINDS, parse_allowed_kinds

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _clock_from_env() -> Clock:
    """IT4IT_CLOCK_OFFSET_SECONDS shifts the operator's clock: tests of change windows and
    validity dates use it instead of waiting for a real date."""
    offset = dt.timedelta(seconds=float(os.environ.get("IT4IT_CLOCK_OFFSET_SECONDS", "0")))
    return lambda: utc_now() + offset


@dataclass(frozen=True)
class Settings:
    """Operator settings, read from the environment (the Deployment sets them)."""

    reconcile_interval: float = 5.0
    validate_timeout: float = 300.0
    allowed_kinds: frozenset[tuple[str, str]] = DEFAULT_ALLOWED_KINDS

    @classmethod
    def from_env(cls) -> Settings:
        kinds = os.environ.get("IT4IT_ALLOWED_KINDS")
        return cls(
            reconcile_interval=float(os.environ.get("IT4IT_RECONCILE_INTERVAL", "5")),
            validate_timeout=float(os.environ.get("IT4IT_VALIDATE_TIMEOUT", "300")),
            allowed_kinds=parse_allowed_kinds(kinds) if kinds else DEFAULT_ALLOWED_KINDS,
        )


@dataclass
class Context:
    kube: Kube
    plugins: PluginRegistry
    settings: Settings
    clock: Clock = field(default=utc_now)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_env(cls, kube: Kube) -> Context:
        return cls(
            kube=kube, plugins=load_plugins(), settings=Settings.from_env(), clock=_clock_from_env()
        )

    def lock(self, key: str) -> threading.Lock:
        """One lock per object, so a timer and a change handler never reconcile it at once."""
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())
