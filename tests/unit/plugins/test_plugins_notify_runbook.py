"""The built-in notifier (Kubernetes Events) and runbook action (Reapply)."""

from __future__ import annotations

import pytest

from it4it_operator.plugins.builtin.events import PLUGIN as EVENTS
from it4it_operator.plugins.builtin.events import event_message
from it4it_operator.plugins.builtin.runbooks import PLUGIN as REAPPLY
from it4it_operator.plugins.builtin.runbooks import REAPPLY_ANNOTATION
from it4it_operator.plugins.interfaces import Notification


def test_an_event_carries_type_reason_and_message() -> None:
    ref = {"apiVersion": "it4it.dev/v1alpha1", "kind": "DesiredProductInstance", "name": "g"}
    event = EVENTS.notify(Notification("AwaitingApproval", "Plan x awaits.", "Warning", ref))
    assert event == {
        "type": "Warning",
        "reason": "AwaitingApproval",
        "message": "Plan x awaits.",
        "regarding": ref,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("two\nlines", "two lines", id="a message is flattened to one line"),
        pytest.param("x" * 2000, "x" * 1023 + "…", id="a long message is cut to one kilobyte"),
    ],
)
def test_event_message(text: str, expected: str) -> None:
    assert event_message(text) == expected


def test_reapply_annotates_the_instance() -> None:
    instance = {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "ActualProductInstance",
        "metadata": {"name": "my-guestbook", "namespace": "shop"},
    }
    (step,) = REAPPLY.plan({"metadata": {"name": "inc-1"}}, instance)
    assert step["target"] == {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "ActualProductInstance",
        "namespace": "shop",
        "name": "my-guestbook",
    }
    assert step["patch"] == {"metadata": {"annotations": {REAPPLY_ANNOTATION: "inc-1"}}}
