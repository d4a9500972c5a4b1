"""Changing and bundling offers (5.5.1 Change an Existing Service Offer and Bundle Existing
Service Offers scenarios).

A change reaches existing subscriptions in two ways. A new `terms.version` (new price, new SLA)
needs the consumer's consent: the subscription is marked TermsChanged and keeps its old contract
until the consumer agrees again. A newly accepted release inside the offer's range needs no
consent: the offer resolves to it and each subscription's DesiredProductInstance is pointed at
it, where Deploy applies the offer's approval policy.

A bundle is an offer of offers, fulfilled "chronologically orchestrated": one
DesiredProductInstance per member, member i+1 created only once member i is Ready.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from it4it_operator.stages.release.versions import ResolvedRelease


def terms_changed(contract: Mapping[str, Any] | None, offer_terms_version: str | None) -> bool:
    """Whether the offer's terms moved past the ones in the contract (False with no contract)."""
    if not contract:
        return False
    return contract.get("termsVersion") != offer_terms_version


def upgrade_needed(current_release: str | None, resolved: ResolvedRelease) -> bool:
    """Whether the instance must move to `resolved`.

    `current_release` is the release name the DesiredProductInstance names (spec.release.name),
    None before there is one. Any difference counts, also towards an older version (a newer
    release withdrawn or a narrowed range): the instance follows what the offer resolves to.
    """
    return current_release != resolved.name


def bundle_problems(bundle: object, *, offer_name: str | None = None) -> list[str]:
    """Sentences naming each malformed spec.bundle entry: a missing offer name, the bundle
    itself (`offer_name`) as a member, or a member listed twice; empty when well formed."""
    if not isinstance(bundle, Sequence) or isinstance(bundle, str) or not bundle:
        return ["spec.bundle is empty: a bundle needs at least one member offer"]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(bundle):
        member = entry.get("offer") if isinstance(entry, Mapping) else None
        if not member:
            problems.append(f"spec.bundle[{index}].offer is missing")
        elif member == offer_name:
            problems.append(f"spec.bundle[{index}] names the bundle {member} itself")
        elif member in seen:
            problems.append(
                f"spec.bundle[{index}] lists offer {member} again"
                f" (already at spec.bundle[{seen[member]}])"
            )
        else:
            seen[member] = index
    return problems


def bundle_order(
    bundle: Sequence[Mapping[str, Any]], *, offer_name: str | None = None
) -> list[str]:
    """The member offer names in the order they are brought up; ValueError when malformed."""
    problems = bundle_problems(bundle, offer_name=offer_name)
    if problems:
        raise ValueError("; ".join(problems))
    return [str(entry["offer"]) for entry in bundle]


class BundleProgress(NamedTuple):
    """How far a bundle subscription has come.

    Members 0..next_index must exist (create member `next_index` when it does not yet); members
    after it wait. `all_ready` is True when every member is Ready (next_index == member count).
    """

    next_index: int
    all_ready: bool


def bundle_progress(member_ready: Sequence[bool]) -> BundleProgress:
    """Progress from each member's readiness in bundle order (a member not created yet counts as
    not Ready). Members that exist are never removed because an earlier one regressed."""
    next_index = next((i for i, ready in enumerate(member_ready) if not ready), len(member_ready))
    return BundleProgress(next_index, next_index == len(member_ready))
