"""What every controller needs, built once at operator start-up and passed through kopf's memo."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from it4it_operator.k8s import Kube
from it4it_operator.plugins.registry import PluginRegistry, load_plugins
from it4it_operator.stages.deploy.deployer import DEFAULT_DEPLOYER, deployer_user
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

    resync_seconds: float = 600.0
    """The safety resync: every object is reconciled again this often (it writes nothing when
    nothing changed); everything else is driven by changes and scheduled moments."""
    workers: int = 16
    """Reconciles running at once (threads: they mostly wait on the API server). Measured with
    `make bench` at N=1000: 4 workers left a subscription 178 s (p50) from creation to Ready,
    16 workers 6 s, at the same memory."""
    validate_timeout: float = 300.0
    watch_namespace: str | None = None
    """The one namespace whose workloads the operator may see (`it4it run --namespace`)."""
    allowed_kinds: frozenset[tuple[str, str]] = DEFAULT_ALLOWED_KINDS
    deployer: str = DEFAULT_DEPLOYER
    """The ServiceAccount of each tenant namespace that a release's objects are written as."""
    tally_seconds: float = 5.0
    """An offer counts its subscribers this long after a subscription changes: a burst of
    1,000 new subscriptions is a few writes of the count, not 1,000."""
    wording_seconds: float = 5.0
    """A status whose messages alone changed (a rollout's counts, say), and an
    ActualProductInstance's first rollout, are written at most this long after the first such
    change, so a rollout that finishes sooner costs no write for its progress; anything else (a
    condition turning True or False, a phase, a field, an Event) is written at once."""

    @classmethod
    def from_env(cls) -> Settings:
        kinds = os.environ.get("IT4IT_ALLOWED_KINDS")
        return cls(
            resync_seconds=float(os.environ.get("IT4IT_RESYNC_SECONDS", "600")),
            workers=int(os.environ.get("IT4IT_WORKERS", "16")),
            validate_timeout=float(os.environ.get("IT4IT_VALIDATE_TIMEOUT", "300")),
            watch_namespace=os.environ.get("IT4IT_WATCH_NAMESPACE") or None,
            allowed_kinds=parse_allowed_kinds(kinds) if kinds else DEFAULT_ALLOWED_KINDS,
            deployer=os.environ.get("IT4IT_DEPLOYER") or DEFAULT_DEPLOYER,
            tally_seconds=float(os.environ.get("IT4IT_TALLY_SECONDS", "5")),
            wording_seconds=float(os.environ.get("IT4IT_WORDING_SECONDS", "5")),
        )


@dataclass
class Context:
    """The I/O facade (reads from caches), the plugins, the settings and the clock. The work
    queue runs one reconcile per object at a time, so controllers need no locks."""

    kube: Kube
    plugins: PluginRegistry
    settings: Settings
    clock: Clock = field(default=utc_now)
    held: dict[str, float] = field(default_factory=dict)
    """Since when (monotonic seconds) a status change of each object (by UID) has been held
    back (`StatusWriter._holds_progress`); in memory only: a restart holds it back once more."""
    _holding: threading.local = field(default_factory=threading.local, repr=False)

    def hold_for(self, seconds: float) -> None:
        """The reconcile running in this thread held a write back: run it again in `seconds`."""
        due = getattr(self._holding, "due", None)
        self._holding.due = seconds if due is None else min(due, seconds)

    def take_hold(self) -> float | None:
        """When the reconcile that just ran in this thread must run again for what it held."""
        due: float | None = getattr(self._holding, "due", None)
        self._holding.due = None
        return due

    def tenant(self, namespace: str) -> Kube:
        """The facade writing as the deployer of `namespace` (a release's objects go so)."""
        return self.kube.impersonating(deployer_user(namespace, self.settings.deployer))

    def has_deployer(self, namespace: str) -> bool:
        """Whether `namespace` holds its deployer ServiceAccount (from the cache)."""
        found = self.kube.get("v1", "ServiceAccount", self.settings.deployer, namespace)
        return found is not None

    def namespace_going(self, namespace: str) -> bool:
        """Whether `namespace` is gone or being deleted (from the cache): nothing new can be
        created in it, so work that would create objects there waits for the deletion."""
        found = self.kube.get("v1", "Namespace", namespace)
        return found is None or bool(found["metadata"].get("deletionTimestamp"))

    @classmethod
    def from_env(cls, kube: Kube) -> Context:
        return cls(
            kube=kube, plugins=load_plugins(), settings=Settings.from_env(), clock=_clock_from_env()
        )
