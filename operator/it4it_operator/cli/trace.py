"""`it4it status sub/NAME` (or `dpi/NAME`): where a subscription stands, down to its workloads.

Reads the chain once through the user's kubeconfig (the it4it kinds only, so the it4it-viewer
role is enough: workloads come with the health the operator recorded on the instance), draws
it with `tree.py`, and exits 0 when the root is Ready and 4 when not, so a script can write
`kubectl it4it status sub/x && next-step`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from it4it_operator.cli.common import (
    EXIT_NOT_READY,
    EXIT_OK,
    Session,
    add_cluster_flags,
    add_output_flag,
    connect,
    emit,
    fail,
)
from it4it_operator.cli.tree import Node, actual_name, format_tree, instance_tree, subscription_tree

SUBSCRIPTION, DPI = "Subscription", "DesiredProductInstance"
KIND_NAMES = {
    SUBSCRIPTION: ("sub", "subs", "subscription", "subscriptions"),
    DPI: ("dpi", "dpis", "desiredproductinstance", "desiredproductinstances"),
}


class TargetError(ValueError):
    """The object named on the command line is not one this command understands."""


def parse_target(
    words: Sequence[str], kinds: Sequence[str] = (SUBSCRIPTION, DPI)
) -> tuple[str, str]:
    """("Subscription", "x") from `sub/x`, `subscription.it4it.dev/x` or `sub x`."""
    if len(words) == 1 and "/" in words[0]:
        word, name = words[0].split("/", 1)
    elif len(words) == 2:
        word, name = words
    else:
        raise TargetError(
            f"name the object as KIND/NAME, e.g. sub/NAME or dpi/NAME: {' '.join(words)}"
        )
    word = word.lower().removesuffix(".it4it.dev")
    for kind in kinds:
        if word in KIND_NAMES[kind] and name:
            return kind, name
    known = ", ".join(KIND_NAMES[k][0] for k in kinds)
    raise TargetError(f"{word!r} is not a kind this command traces (one of: {known})")


def gather(session: Session, kind: str, name: str) -> Node | None:
    """The tree below the object, or None when it does not exist."""
    from it4it_operator import API_VERSION
    from it4it_operator.controllers.deploy.labels import SUBSCRIPTION_LABEL

    kube, namespace = session.kube, session.namespace
    root = kube.get(API_VERSION, kind, name, namespace)
    if root is None:
        return None
    if kind == SUBSCRIPTION:
        dpis = kube.list_objects(API_VERSION, DPI, namespace, {SUBSCRIPTION_LABEL: name})
    else:
        dpis = [root]
    actuals = {}
    for dpi in dpis:
        found = kube.get(API_VERSION, "ActualProductInstance", actual_name(dpi), namespace)
        if found is not None:
            actuals[found["metadata"]["name"]] = found
    incidents = kube.list_objects(API_VERSION, "Incident", namespace) if actuals else []
    if kind == SUBSCRIPTION:
        return subscription_tree(root, dpis, actuals, incidents)
    return instance_tree(root, actuals, incidents)


def _status(args: argparse.Namespace) -> int:
    try:
        kind, name = parse_target(args.target)
    except TargetError as exc:
        return fail(str(exc))
    session = connect(args)
    tree = gather(session, kind, name)
    if tree is None:
        return fail(f"{kind} {session.namespace}/{name} not found")
    emit(tree.to_dict(), args.output, lambda: format_tree(tree))
    return EXIT_OK if tree.ready == "True" else EXIT_NOT_READY


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = sub.add_parser(
        "status",
        help="a subscription or instance down to its workloads and incidents, as a tree",
        description="Exit 0 when the root is Ready, 4 when not, 1 when it does not exist.",
    )
    status.add_argument("target", nargs="+", metavar="KIND/NAME", help="sub/NAME or dpi/NAME")
    add_cluster_flags(status)
    add_output_flag(status)
    status.set_defaults(func=_status)
