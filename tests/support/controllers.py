"""The controllers running on a FakeKube: a Manager whose queue a test drains by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from it4it_operator.controllers.context import Context, Settings
from it4it_operator.controllers.manager import Manager
from it4it_operator.plugins.registry import load_plugins
from it4it_operator.stages.deploy.deployer import deployer_objects
from support.fake_kube import FakeKube
from support.world import SHOP, TEAM, instance, namespace, release, roll_out

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # a Monday


@dataclass
class Operator:
    """The operator's controllers on an in-memory API: `settle()` runs every queued pass."""

    fake: FakeKube = field(default_factory=FakeKube)
    now: dt.datetime = START
    tenants: bool = True
    """Every namespace applied gets its deployer ServiceAccount (`it4it tenant enable`)."""
    settings: Settings = field(default_factory=lambda: Settings(tally_seconds=0))
    """An offer's count follows at once here (`settle` runs no timers but due ones)."""
    manager: Manager = field(init=False)

    def __post_init__(self) -> None:
        ctx = Context(self.fake, load_plugins(), self.settings, clock=lambda: self.now)
        self.manager = Manager(ctx)

    def restart(self) -> Operator:
        """A new operator process on the same API server (nothing kept in memory)."""
        return Operator(self.fake.restarted(), self.now, self.tenants, self.settings)

    def apply(self, *docs: dict[str, Any]) -> None:
        for doc in docs:
            self.fake.put(doc)
            if doc["kind"] == "Namespace" and self.tenants:
                for obj in deployer_objects(doc["metadata"]["name"]):
                    self.fake.put(obj)

    def settle(self) -> None:
        assert self.manager.queue.drain(timeout=20), "the queue did not settle"

    def resync(self) -> list[tuple[str, str, str]]:
        """A safety resync; the writes it made (Events aside)."""
        mark = len(self.fake.writes)
        self.manager.enqueue_all()
        self.settle()
        return self.fake.writes_since(mark)


def deployed(op: Operator, **operate: Any) -> None:
    """Instance `direct` of web 1.0.0 in shop, with `operate` as its spec.operate, rolled out
    and handed over to Operate."""
    body = instance()
    if operate:
        body["spec"]["operate"] = operate
    op.apply(namespace(TEAM), namespace(SHOP), release("1.0.0"), body)
    op.settle()
    roll_out(op.fake)
    op.settle()


def later(op: Operator, seconds: float) -> list[tuple[str, str, str]]:
    """Move the clock on and run what is due then (a resync); the writes it made."""
    op.now += dt.timedelta(seconds=seconds)
    return op.resync()
