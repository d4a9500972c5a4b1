"""Parameters and the DesiredProductInstance of a subscription (5.6.4 Subscribe)."""

from __future__ import annotations

from typing import Any

import pytest

from it4it_operator.stages.consume.subscribe import desired_instance_spec, subscription_parameters
from it4it_operator.stages.parameters import ParameterError

OFFER_SCHEMA = {
    "type": "object",
    "properties": {
        "replicas": {"type": "integer", "minimum": 1, "maximum": 5, "default": 2},
        "db": {"type": "object", "properties": {"size": {"enum": ["S", "M"], "default": "S"}}},
    },
    "additionalProperties": False,
}
RELEASE_REF = {"namespace": "team-guestbook", "name": "guestbook-1.1.0"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({}, {"replicas": 2}, id="defaults are filled in"),
        pytest.param(
            {"replicas": 3, "db": {}},
            {"replicas": 3, "db": {"size": "S"}},
            id="nested defaults are filled in",
        ),
        pytest.param(
            None, {"replicas": 2}, id="a subscription without parameters gets the defaults"
        ),
    ],
)
def test_subscription_parameters(values: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    assert subscription_parameters(OFFER_SCHEMA, values) == expected


@pytest.mark.parametrize(
    ("values", "field"),
    [
        pytest.param(
            {"replicas": 9},
            "spec.parameters.replicas",
            id="a value above the offer's maximum names the field",
        ),
        pytest.param(
            {"db": {"size": "XL"}},
            "spec.parameters.db.size",
            id="a nested value names its full path",
        ),
        pytest.param(
            {"colour": "red"},
            "spec.parameters",
            id="a parameter the offer does not offer is refused",
        ),
    ],
)
def test_subscription_parameters_refuse(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ParameterError) as caught:
        subscription_parameters(OFFER_SCHEMA, values)
    assert any(problem.startswith(f"{field}:") for problem in caught.value.problems)


@pytest.mark.parametrize(
    ("fulfillment", "suspended", "plan", "state"),
    [
        pytest.param(
            None,
            False,
            {"approval": "Automatic", "observeSeconds": 60, "rollback": "Automatic"},
            "Enabled",
            id="an offer without fulfilment plan gets the default plan",
        ),
        pytest.param(
            {
                "approval": "Manual",
                "observeSeconds": 0,
                "changeWindow": {"days": ["Mon"], "start": "22:00", "end": "23:00"},
            },
            False,
            {
                "approval": "Manual",
                "observeSeconds": 0,
                "rollback": "Automatic",
                "changeWindow": {"days": ["Mon"], "start": "22:00", "end": "23:00"},
            },
            "Enabled",
            id="the offer's fulfilment plan is copied into the instance",
        ),
        pytest.param(
            {"changeWindow": None},
            False,
            {"approval": "Automatic", "observeSeconds": 60, "rollback": "Automatic"},
            "Enabled",
            id="a null field of the fulfilment plan is left out",
        ),
        pytest.param(
            None,
            True,
            {"approval": "Automatic", "observeSeconds": 60, "rollback": "Automatic"},
            "Disabled",
            id="a suspended subscription disables its instance",
        ),
    ],
)
def test_desired_instance_spec(
    fulfillment: dict[str, Any] | None, suspended: bool, plan: dict[str, Any], state: str
) -> None:
    spec = desired_instance_spec(
        release_ref=RELEASE_REF,
        parameters={"replicas": 3},
        fulfillment=fulfillment,
        suspended=suspended,
    )
    assert spec == {
        "release": RELEASE_REF,
        "parameters": {"replicas": 3},
        "plan": plan,
        "state": state,
    }


def test_a_parameter_change_changes_the_instance_without_touching_the_input() -> None:
    parameters = {"replicas": 3, "db": {"size": "S"}}
    first = desired_instance_spec(
        release_ref=RELEASE_REF, parameters=parameters, fulfillment=None, suspended=False
    )
    first["parameters"]["db"]["size"] = "M"
    assert parameters == {"replicas": 3, "db": {"size": "S"}}
