"""Ordering the instance (5.6.4 Subscribe to Service Offer; Order a Modification scenario).

Subscribing validates the consumer's parameters against the offer's payload options (defaults
filled, every bad field named) and describes the DesiredProductInstance that Deploy then plans,
approves and fulfils with the offer's fulfilment plan. Modifying a subscription is the same
computation again: new parameters give a new spec (and so a new plan), `state: Suspended` gives
a Disabled instance that is kept, `Active` enables it again.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from it4it_operator.api.common import DeploymentPlan
from it4it_operator.stages.parameters import validate_parameters

DEFAULT_PLAN: dict[str, Any] = DeploymentPlan().model_dump(by_alias=True, exclude_none=True)
"""The plan of an offer without `fulfillment`, and the value of each field it leaves out."""


def subscription_parameters(
    offer_schema: Mapping[str, Any] | None, values: Mapping[str, Any] | None
) -> dict[str, Any]:
    """spec.parameters with the offer's defaults filled in; raises ParameterError whose
    messages name each bad field as spec.parameters.NAME."""
    return validate_parameters(offer_schema, values, field="spec.parameters")


def desired_instance_spec(
    *,
    release_ref: Mapping[str, str],
    parameters: Mapping[str, Any],
    fulfillment: Mapping[str, Any] | None,
    suspended: bool,
    operate: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The DesiredProductInstance spec: {release {namespace, name}, parameters, plan, state
    Enabled|Disabled}. The plan is the offer's fulfillment (approval, changeWindow,
    observeSeconds, rollback, and any field Deploy adds later) with DEFAULT_PLAN for what it
    leaves out."""
    plan = {k: copy.deepcopy(v) for k, v in (fulfillment or {}).items() if v is not None}
    for key, default in DEFAULT_PLAN.items():
        if plan.get(key) is None:
            plan[key] = default
    spec: dict[str, Any] = {
        "release": {"namespace": release_ref["namespace"], "name": release_ref["name"]},
        "parameters": copy.deepcopy(dict(parameters)),
        "plan": plan,
        "state": "Disabled" if suspended else "Enabled",
    }
    if operate:  # Operate's policy travels with the instance, like the fulfilment plan
        spec["operate"] = copy.deepcopy(dict(operate))
    return spec
