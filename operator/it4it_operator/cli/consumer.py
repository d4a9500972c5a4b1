"""Consume, for people: `catalog`, the service offers a namespace may order now.

The namespace is the context's unless `-n` names another; `-A` lists every published offer
without checking its audience.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from it4it_operator.cli.common import (
    EXIT_REFUSED,
    EXIT_USAGE,
    add_cluster_flags,
    add_output_flag,
    connect,
    emit,
)


def _catalog(args: argparse.Namespace) -> int:
    """Select an Offer, for people: what a namespace may order now."""
    from it4it_operator import API_VERSION
    from it4it_operator.controllers.context import utc_now
    from it4it_operator.k8s.errors import ForbiddenError
    from it4it_operator.stages.consume.catalog import catalog, format_table

    session = connect(args)
    labels: dict[str, str] = {}
    try:
        if session.namespace:
            found = session.kube.namespace_labels(session.namespace)
            if found is None:
                print(f"namespace {session.namespace} does not exist", file=sys.stderr)
                return EXIT_USAGE
            labels = found
        offers = session.kube.list_objects(API_VERSION, "ServiceOffer")
    except ForbiddenError as exc:
        # The people's roles (manifests/rbac/20-user-roles.yaml) grant exactly these reads.
        print(
            f"it4it catalog: {exc.message} (reading the catalog needs the ClusterRole"
            " it4it-catalog-viewer; a namespace's catalog also needs it4it-consumer there)",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    rows = catalog(
        offers,
        namespace=session.namespace,
        labels=labels,
        now=utc_now(),
        search=args.search,
        category=args.category,
    )
    emit([dataclasses.asdict(r) for r in rows], args.output, lambda: format_table(rows))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cat = sub.add_parser("catalog", help="the service offers a namespace may order")
    add_cluster_flags(cat, all_namespaces=True)
    cat.add_argument("--search", help="case-insensitive text in name, description or tags")
    cat.add_argument("--category", help="only offers of this category")
    add_output_flag(cat)
    cat.set_defaults(func=_catalog)
