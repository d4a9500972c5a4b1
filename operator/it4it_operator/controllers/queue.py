"""A work queue of objects to reconcile, as controller-runtime's: deduplicated, delayed, fair.

A key (kind, namespace, name) is queued at most once however many changes arrive before a
worker takes it, and never reconciled by two workers at once: a key added while it is being
reconciled runs again right after. `add_after` schedules work for a moment (a change window
opening, an observe window ending, a validity date); the earliest moment wins. A reconcile that
raises is retried with exponential backoff per key, reset by the next success.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

log = logging.getLogger(__name__)


class Key(NamedTuple):
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


Reconcile = Callable[[Key], float | None]
"""Reconciles one object; returns seconds until it wants another pass, or None."""


def sooner(a: float | None, b: float | None) -> float | None:
    """The earlier of two requeue delays, None meaning never."""
    return min(a, b) if a is not None and b is not None else (a if b is None else b)


BACKOFF_BASE, BACKOFF_MAX = 0.5, 60.0


class WorkQueue:
    """Keys waiting for a worker; `workers` threads call `reconcile` on them."""

    def __init__(self, reconcile: Reconcile, *, workers: int = 4) -> None:
        self.reconcile = reconcile
        self.workers = workers
        self._queue: deque[Key] = deque()
        self._queued: set[Key] = set()
        self._active: set[Key] = set()
        self._again: set[Key] = set()
        self._timers: list[tuple[float, Key]] = []
        self._due: dict[Key, float] = {}
        self._failures: dict[Key, int] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._threads: list[threading.Thread] = []
        self.processed = 0

    # -- producers --------------------------------------------------------------------------
    def add(self, key: Key) -> None:
        with self._cond:
            if key in self._active:
                self._again.add(key)
            elif key not in self._queued:
                self._queued.add(key)
                self._queue.append(key)
                self._cond.notify()

    def add_after(self, key: Key, seconds: float) -> None:
        if seconds <= 0:
            self.add(key)
            return
        at = time.monotonic() + seconds
        with self._cond:
            if self._due.get(key, float("inf")) <= at:
                return
            self._due[key] = at
            heapq.heappush(self._timers, (at, key))
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def pending(self) -> int:
        """Keys queued, being reconciled, or scheduled."""
        with self._cond:
            return len(self._queue) + len(self._active) + len(self._due)

    # -- workers ----------------------------------------------------------------------------
    def _release_due(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            at, key = heapq.heappop(self._timers)
            if self._due.get(key) == at:
                del self._due[key]
                if key in self._active:
                    self._again.add(key)
                elif key not in self._queued:
                    self._queued.add(key)
                    self._queue.append(key)

    def _take(self) -> Key | None:
        with self._cond:
            while not self._stopped:
                self._release_due(time.monotonic())
                if self._queue:
                    key = self._queue.popleft()
                    self._queued.discard(key)
                    self._active.add(key)
                    return key
                wait = self._timers[0][0] - time.monotonic() if self._timers else None
                self._cond.wait(timeout=None if wait is None else max(wait, 0.001))
            return None

    def _done(self, key: Key, delay: float | None) -> None:
        with self._cond:
            self._active.discard(key)
            self.processed += 1
            if key in self._again:
                self._again.discard(key)
                self._queued.add(key)
                self._queue.append(key)
                self._cond.notify()
        if delay is not None:
            self.add_after(key, delay)

    def _work(self) -> None:
        while (key := self._take()) is not None:
            delay: float | None
            try:
                delay = self.reconcile(key)
                self._failures.pop(key, None)
            except Exception:
                failures = self._failures.get(key, 0) + 1
                self._failures[key] = failures
                delay = min(BACKOFF_BASE * 2 ** (failures - 1), BACKOFF_MAX)
                log.exception(
                    "reconcile of %s failed (attempt %d); again in %.1fs", key, failures, delay
                )
            self._done(key, delay)

    def start(self) -> None:
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"reconcile-{i}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def drain(self, timeout: float = 10.0) -> bool:
        """Run queued work in this thread until nothing is queued or due (for tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                self._release_due(time.monotonic())
                key = self._queue.popleft() if self._queue else None
                if key is not None:
                    self._queued.discard(key)
                    self._active.add(key)
            if key is None:
                return True
            try:
                delay = self.reconcile(key)
            except Exception:
                log.exception("reconcile of %s failed", key)
                delay = None
            self._done(key, delay)
        return False
