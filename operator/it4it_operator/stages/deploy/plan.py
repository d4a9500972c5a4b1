"""Plan & Approve Deployment: turn a release and its parameters into a deployment plan.

A plan is the exact list of objects Fulfill Deployment will apply, in order, with an estimate of
the time it takes ("Shall estimate the time for deployment") and a hash that an Approval names
("Shall obtain necessary approval"). The hash covers everything that changes what gets applied
or when: the release and its digest, the rendered objects, the plan settings and the state, so
an Approval never carries over to a different change.

Rendering is a plugin's job and plugins are a separate layer; `make_plan` therefore takes the
renderer as a plain callable from filled-in parameters to objects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from it4it_operator.stages.deploy.disable import scale_to_zero
from it4it_operator.stages.deploy.objects import KindKey, kind_key
from it4it_operator.stages.deploy.order import WORKLOAD_KINDS, apply_order
from it4it_operator.stages.deploy.tenancy import DEFAULT_ALLOWED_KINDS, TenancyError, confine
from it4it_operator.stages.parameters import ParameterError, validate_parameters

WORKLOAD_SECONDS = 10
"""Estimated seconds for a workload to roll out."""
OTHER_SECONDS = 1
"""Estimated seconds to apply any other object."""

Render = Callable[[dict[str, Any]], Sequence[Mapping[str, Any]]]
"""Filled-in parameters -> rendered objects; raises ValueError (e.g. RenderError) when it can't,
or a PlanRenderError that carries its own reason and retry."""


class PlanError(ValueError):
    """No plan can be made; `reason` is the Planned condition's reason, `problems` the sentences.

    `retry_seconds` is set when trying again later may help without any change (a chart
    repository that is down); None when a person must change something.
    """

    reason: str = "PlanFailed"

    def __init__(
        self,
        problems: list[str],
        *,
        reason: str | None = None,
        retry_seconds: float | None = None,
    ) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        if reason:
            self.reason = reason
        self.retry_seconds = retry_seconds


class PlanParameterError(PlanError):
    """The parameters do not satisfy the release's parameter schema."""

    reason = "InvalidParameters"


class PlanRenderError(PlanError):
    """The release's deployment design could not be rendered with these parameters."""

    reason = "RenderFailed"


class PlanTenancyError(PlanError):
    """The rendered objects would leave the instance's namespace or use a refused kind."""

    reason = "TenancyViolation"


@dataclass(frozen=True)
class Plan:
    """What Fulfill Deployment will apply: `objects` in apply order, placed in the namespace."""

    objects: tuple[dict[str, Any], ...]
    plan_hash: str
    estimate: Mapping[str, int]
    parameters: Mapping[str, Any]


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no whitespace: equal values give equal bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def plan_hash(
    release_ref: str,
    release_digest: str,
    objects: Sequence[Mapping[str, Any]],
    plan: Mapping[str, Any],
    state: str,
) -> str:
    """The "sha256:<64 hex>" of the canonical JSON of everything an approver signs off."""
    document = {
        "release": release_ref,
        "releaseDigest": release_digest,
        "objects": list(objects),
        "plan": plan,
        "state": state,
    }
    return "sha256:" + hashlib.sha256(canonical_json(document)).hexdigest()


def _seconds(kind: KindKey) -> int:
    return WORKLOAD_SECONDS if kind in WORKLOAD_KINDS else OTHER_SECONDS


def estimate(objects: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """`status.estimate`: the number of objects and the seconds to roll them out."""
    return {
        "objects": len(objects),
        "seconds": sum(_seconds(kind_key(obj)) for obj in objects),
    }


def make_plan(
    *,
    release_ref: str,
    release_digest: str,
    parameter_schema: Mapping[str, Any] | None,
    parameters: Mapping[str, Any] | None,
    render: Render,
    plan: Mapping[str, Any],
    state: str,
    namespace: str,
    allowed_kinds: frozenset[KindKey] = DEFAULT_ALLOWED_KINDS,
) -> Plan:
    """Validate parameters, render, confine to `namespace`, order and hash; or raise PlanError.

    `release_ref` is "namespace/name" of the ProductRelease, `release_digest` its status.digest,
    `plan` the DesiredProductInstance's spec.plan and `state` its spec.state (Disabled plans
    scale workloads to zero).
    """
    try:
        filled = validate_parameters(parameter_schema, parameters, field="spec.parameters")
    except ParameterError as exc:
        raise PlanParameterError(exc.problems) from exc
    try:
        rendered = render(filled)
    except PlanError:
        raise  # the caller's renderer already said which reason
    except ValueError as exc:
        raise PlanRenderError([str(exc)]) from exc
    try:
        confined = confine(rendered, namespace=namespace, allowed_kinds=allowed_kinds)
    except TenancyError as exc:
        raise PlanTenancyError(exc.problems) from exc
    ordered = apply_order(scale_to_zero(confined) if state == "Disabled" else confined)
    return Plan(
        objects=tuple(ordered),
        plan_hash=plan_hash(release_ref, release_digest, ordered, plan, state),
        estimate=estimate(ordered),
        parameters=filled,
    )
