"""The built-in notifier: Kubernetes Events, formatted here and emitted by the handler.

"May inform support specialists from the Monitoring bridge and the service desk" (Fulfill
Deployment). Events are what `kubectl describe` shows, so every stage transition and refusal is
told there. This plugin does no I/O: it returns the Event's type, reason and message for the
handler to post on the object the notification is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from it4it_operator.plugins.interfaces import Notification

EVENT_MESSAGE_LIMIT = 1024
"""events.k8s.io/v1 limits `note` to 1 kB; longer messages are cut with an ellipsis."""


def event_message(text: str, limit: int = EVENT_MESSAGE_LIMIT) -> str:
    """`text` on one line, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class EventNotifier:
    """Formats a notification as a Kubernetes Event: {"type", "reason", "message"}."""

    plugin_type: Literal["notifier"] = "notifier"
    name: str = "kubernetes-events"

    def notify(self, notification: Notification) -> Mapping[str, Any]:
        return {
            "type": notification.severity,
            "reason": notification.reason,
            "message": event_message(notification.message),
            "regarding": dict(notification.regarding),
        }


PLUGIN = EventNotifier()
