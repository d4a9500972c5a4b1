"""The built-in notifier (Kubernetes Events); the runbook actions are in test_plugins_runbooks."""

from __future__ import annotations

import pytest

from it4it_operator.plugins.builtin.events import PLUGIN as EVENTS
from it4it_operator.plugins.builtin.events import event_message
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
