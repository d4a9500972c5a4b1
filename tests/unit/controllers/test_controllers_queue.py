"""The work queue: one pass per burst of changes, never two at once for one object, retries
with backoff, scheduled passes at their moment."""

from __future__ import annotations

import threading
import time

from it4it_operator.controllers.queue import Key, WorkQueue

A, B = Key("Subscription", "shop", "a"), Key("Subscription", "shop", "b")


def test_a_burst_of_changes_to_one_object_is_one_pass() -> None:
    seen: list[Key] = []
    queue = WorkQueue(seen.append)  # type: ignore[arg-type]
    for _ in range(100):
        queue.add(A)
    queue.add(B)
    assert queue.drain()
    assert seen == [A, B]


def test_a_change_during_a_pass_runs_the_object_again_after_it() -> None:
    seen: list[Key] = []
    queue = WorkQueue(lambda key: None)

    def reconcile(key: Key) -> None:
        seen.append(key)
        if len(seen) == 1:
            queue.add(A)  # a watch event arrives while A is being reconciled

    queue.reconcile = reconcile
    queue.add(A)
    assert queue.drain()
    assert seen == [A, A]


def test_one_object_is_never_reconciled_by_two_workers_at_once() -> None:
    running: set[Key] = set()
    overlaps: list[Key] = []
    lock = threading.Lock()

    def reconcile(key: Key) -> None:
        with lock:
            if key in running:
                overlaps.append(key)
            running.add(key)
        time.sleep(0.002)
        with lock:
            running.discard(key)

    queue = WorkQueue(reconcile, workers=4)
    queue.start()
    for _ in range(200):
        queue.add(A)
        queue.add(B)
    deadline = time.monotonic() + 5
    while queue.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.stop()
    assert overlaps == []


def test_a_pass_that_asks_to_look_again_later_is_scheduled_for_then() -> None:
    seen: list[float] = []
    queue = WorkQueue(
        lambda key: (seen.append(time.monotonic()), 0.2 if len(seen) == 1 else None)[1]
    )
    queue.start()
    queue.add(A)
    time.sleep(0.5)
    queue.stop()
    assert len(seen) == 2 and 0.15 <= seen[1] - seen[0] < 0.45


def test_a_failing_pass_is_retried_with_backoff() -> None:
    calls: list[float] = []

    def reconcile(key: Key) -> None:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise RuntimeError("API server unavailable")

    queue = WorkQueue(reconcile)
    queue.start()
    queue.add(A)
    time.sleep(2.0)
    queue.stop()
    assert len(calls) == 3
    assert calls[2] - calls[1] > calls[1] - calls[0]  # the second wait is the longer


def test_the_earliest_schedule_wins() -> None:
    queue = WorkQueue(lambda key: None)
    queue.add_after(A, 60)
    queue.add_after(A, 0.05)
    queue.add_after(A, 30)
    time.sleep(0.1)
    assert queue.drain()
    assert queue.pending() == 0
