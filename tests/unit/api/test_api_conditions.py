"""The conditions helper writes status conditions the way Kubernetes API conventions say."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from it4it_operator.api.conditions import (
    READY,
    RECONCILING,
    STALLED,
    get_condition,
    is_true,
    remove_condition,
    set_abnormal_condition,
    set_condition,
    timestamp,
)

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
STAGES = ("Planned", "Approved", "Fulfilled", "Validated", "Stable")


def cond(
    type_: str, status: str = "True", *, gen: int = 1, at: datetime = T0, **kw: str
) -> dict[str, Any]:
    """A condition as the helper writes it, with a default reason and message."""
    return {
        "type": type_,
        "status": status,
        "observedGeneration": gen,
        "lastTransitionTime": timestamp(at),
        "reason": kw.get("reason", "Done"),
        "message": kw.get("message", "It is done."),
    }


@dataclass
class SetCase:
    id: str
    before: list[dict[str, Any]]
    type: str
    status: str
    expect_changed: bool
    expect: list[dict[str, Any]]
    reason: str = "Done"
    message: str = "It is done."
    generation: int = 1
    order: tuple[str, ...] = STAGES
    now: datetime = field(default=T1)


SET_CASES = [
    SetCase(
        id="a new condition is appended with the time of now",
        before=[],
        type="Planned",
        status="True",
        expect_changed=True,
        expect=[cond("Planned", at=T1)],
    ),
    SetCase(
        id="writing exactly what is there changes nothing",
        before=[cond("Planned")],
        type="Planned",
        status="True",
        expect_changed=False,
        expect=[cond("Planned")],
    ),
    SetCase(
        id="a new reason keeps lastTransitionTime because the status did not flip",
        before=[cond("Planned")],
        type="Planned",
        status="True",
        reason="Replanned",
        expect_changed=True,
        expect=[cond("Planned", reason="Replanned")],
    ),
    SetCase(
        id="a new message keeps lastTransitionTime",
        before=[cond("Planned")],
        type="Planned",
        status="True",
        message="Planned again.",
        expect_changed=True,
        expect=[cond("Planned", message="Planned again.")],
    ),
    SetCase(
        id="a new generation is recorded and keeps lastTransitionTime",
        before=[cond("Planned")],
        type="Planned",
        status="True",
        generation=2,
        expect_changed=True,
        expect=[cond("Planned", gen=2)],
    ),
    SetCase(
        id="a status flip moves lastTransitionTime to now",
        before=[cond("Planned")],
        type="Planned",
        status="False",
        reason="InvalidParameters",
        expect_changed=True,
        expect=[cond("Planned", "False", at=T1, reason="InvalidParameters")],
    ),
    SetCase(
        id="Unknown to True is a flip too",
        before=[cond("Approved", "Unknown")],
        type="Approved",
        status="True",
        expect_changed=True,
        expect=[cond("Approved", at=T1)],
    ),
    SetCase(
        id="Ready goes first even when set last",
        before=[cond("Planned"), cond("Approved")],
        type=READY,
        status="False",
        expect_changed=True,
        expect=[cond(READY, "False", at=T1), cond("Planned"), cond("Approved")],
    ),
    SetCase(
        id="stages follow the caller's order whatever the order of writes",
        before=[cond(READY), cond("Fulfilled")],
        type="Planned",
        status="True",
        expect_changed=True,
        expect=[cond(READY), cond("Planned", at=T1), cond("Fulfilled")],
    ),
    SetCase(
        id="types outside the order keep insertion order after the stages",
        before=[cond(READY), cond("Planned"), cond(RECONCILING)],
        type=STALLED,
        status="True",
        expect_changed=True,
        expect=[cond(READY), cond("Planned"), cond(RECONCILING), cond(STALLED, at=T1)],
    ),
    SetCase(
        id="without an order, insertion order is kept after Ready",
        before=[cond("B"), cond("A")],
        type=READY,
        status="True",
        order=(),
        expect_changed=True,
        expect=[cond(READY, at=T1), cond("B"), cond("A")],
    ),
    SetCase(
        id="a condition missing lastTransitionTime gets one without a flip",
        before=[{k: v for k, v in cond("Planned").items() if k != "lastTransitionTime"}],
        type="Planned",
        status="True",
        expect_changed=True,
        expect=[cond("Planned", at=T1)],
    ),
]


@pytest.mark.parametrize("case", SET_CASES, ids=lambda c: c.id)
def test_set_condition(case: SetCase) -> None:
    conditions = copy.deepcopy(case.before)
    changed = set_condition(
        conditions,
        case.type,
        case.status,  # type: ignore[arg-type]
        case.reason,
        case.message,
        case.generation,
        case.now,
        order=case.order,
    )
    assert changed is case.expect_changed
    assert conditions == case.expect


def test_an_unchanged_write_leaves_even_a_wrong_order_alone() -> None:
    conditions = [cond("Planned"), cond(READY)]
    assert not set_condition(conditions, "Planned", "True", "Done", "It is done.", 1, T1)
    assert [c["type"] for c in conditions] == ["Planned", READY]


def test_a_status_outside_true_false_unknown_is_refused() -> None:
    with pytest.raises(ValueError, match="condition status"):
        set_condition([], READY, "Yes", "Done", "", 1)  # type: ignore[arg-type]


def test_without_a_generation_observed_generation_is_left_out() -> None:
    conditions: list[dict[str, Any]] = []
    set_condition(conditions, READY, "True", "Done", "", None, T0)
    assert "observedGeneration" not in conditions[0]


def test_now_defaults_to_the_current_time_in_utc_seconds() -> None:
    conditions: list[dict[str, Any]] = []
    set_condition(conditions, READY, "True", "Done", "", 1)
    stamp = conditions[0]["lastTransitionTime"]
    assert stamp.endswith("Z") and len(stamp) == len("2026-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 3, 1, 10, 0, 0, 999, tzinfo=UTC), "2026-03-01T10:00:00Z"),
        (datetime(2026, 3, 1, 10, 0, 0), "2026-03-01T10:00:00Z"),
        (datetime(2026, 3, 1, 11, 0, 0, tzinfo=UTC) + timedelta(hours=0), "2026-03-01T11:00:00Z"),
    ],
    ids=[
        "microseconds are dropped as metav1.Time does",
        "a naive time is taken as UTC",
        "an aware time is written in UTC",
    ],
)
def test_timestamp(moment: datetime, expected: str) -> None:
    assert timestamp(moment) == expected


@dataclass
class ReadCase:
    id: str
    conditions: list[dict[str, Any]]
    generation: int | None
    expect_true: bool


READ_CASES = [
    ReadCase("a True condition is true", [cond(READY)], None, True),
    ReadCase("a False condition is not true", [cond(READY, "False")], None, False),
    ReadCase("an Unknown condition is not true", [cond(READY, "Unknown")], None, False),
    ReadCase("a missing condition is not true", [cond("Planned")], None, False),
    ReadCase("a True condition of the asked generation is true", [cond(READY, gen=3)], 3, True),
    ReadCase("a True condition of an older generation is stale", [cond(READY, gen=2)], 3, False),
]


@pytest.mark.parametrize("case", READ_CASES, ids=lambda c: c.id)
def test_is_true(case: ReadCase) -> None:
    assert is_true(case.conditions, READY, case.generation) is case.expect_true


def test_get_condition_finds_by_type_or_returns_none() -> None:
    conditions = [cond(READY), cond("Planned", "False")]
    assert get_condition(conditions, "Planned") == cond("Planned", "False")
    assert get_condition(conditions, "Stable") is None


def test_remove_condition_reports_whether_it_was_there() -> None:
    conditions = [cond(READY), cond(STALLED)]
    assert remove_condition(conditions, STALLED)
    assert conditions == [cond(READY)]
    assert not remove_condition(conditions, STALLED)


@dataclass
class AbnormalCase:
    id: str
    before: list[dict[str, Any]]
    active: bool
    expect_changed: bool
    expect: list[dict[str, Any]]


ABNORMAL_CASES = [
    AbnormalCase(
        "Stalled is added as True while it applies",
        [cond(READY, "False")],
        True,
        True,
        [cond(READY, "False"), cond(STALLED, at=T1, reason="Blocked")],
    ),
    AbnormalCase(
        "Stalled is removed when it no longer applies",
        [cond(READY, "False"), cond(STALLED, reason="Blocked")],
        False,
        True,
        [cond(READY, "False")],
    ),
    AbnormalCase(
        "an absent Stalled that does not apply changes nothing",
        [cond(READY)],
        False,
        False,
        [cond(READY)],
    ),
    AbnormalCase(
        "a present Stalled that still applies changes nothing",
        [cond(STALLED, reason="Blocked")],
        True,
        False,
        [cond(STALLED, reason="Blocked")],
    ),
]


@pytest.mark.parametrize("case", ABNORMAL_CASES, ids=lambda c: c.id)
def test_set_abnormal_condition(case: AbnormalCase) -> None:
    conditions = copy.deepcopy(case.before)
    changed = set_abnormal_condition(
        conditions, STALLED, case.active, "Blocked", "It is done.", 1, T1, order=STAGES
    )
    assert changed is case.expect_changed
    assert conditions == case.expect
