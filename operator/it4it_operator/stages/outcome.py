"""The verdict of one stage check, in the shape of the condition it becomes.

Stage functions return an `Outcome`; handlers turn it into a status condition and an Event with
the same reason. Keeping the verdict a plain value keeps stage logic free of I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ConditionStatus = Literal["True", "False", "Unknown"]


@dataclass(frozen=True)
class Outcome:
    """A condition-to-be: `type` is the stage (e.g. "Planned"), `reason` a stable CamelCase word."""

    type: str
    status: ConditionStatus
    reason: str
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "True"

    @classmethod
    def true(cls, type_: str, reason: str, message: str) -> Outcome:
        return cls(type_, "True", reason, message)

    @classmethod
    def false(cls, type_: str, reason: str, message: str) -> Outcome:
        return cls(type_, "False", reason, message)

    @classmethod
    def unknown(cls, type_: str, reason: str, message: str) -> Outcome:
        return cls(type_, "Unknown", reason, message)
