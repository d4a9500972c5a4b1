"""For platform engineers: `tenant enable|disable NAMESPACE`, who releases are applied as there.

The operator writes a release's objects impersonating the namespace's deployer ServiceAccount
(stages/deploy/deployer.py); this creates it, bound to the built-in `admin` ClusterRole in that
namespace only, or removes it (nothing more is then applied there).
"""

from __future__ import annotations

import argparse
import os
import sys

from it4it_operator.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, add_cluster_flags, connect


def _tenant(args: argparse.Namespace) -> int:
    from it4it_operator.k8s.errors import ApiError
    from it4it_operator.stages.deploy.deployer import deployer_objects, deployer_user

    kube = connect(args).kube
    namespace = args.tenant_namespace
    if kube.namespace_labels(namespace) is None:
        print(f"namespace {namespace} does not exist", file=sys.stderr)
        return EXIT_USAGE
    objects = deployer_objects(namespace, args.service_account)
    try:
        for obj in objects if args.action == "enable" else reversed(objects):
            meta = obj["metadata"]
            if args.action == "enable":
                kube.apply(obj)
            else:
                kube.delete(obj["apiVersion"], obj["kind"], meta["name"], meta["namespace"])
    except ApiError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    who = deployer_user(namespace, args.service_account)
    if args.action == "enable":
        print(f"namespace {namespace} enabled: releases are applied there as {who} (admin)")
    else:
        print(f"namespace {namespace} disabled: nothing more is applied there as {who}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tenant = sub.add_parser("tenant", help="let releases deploy into a namespace (or stop)")
    tenant.add_argument("action", choices=["enable", "disable"])
    tenant.add_argument("tenant_namespace", metavar="NAMESPACE")
    tenant.add_argument(
        "--service-account",
        default=os.environ.get("IT4IT_DEPLOYER") or "it4it-deployer",
        help="the deployer's name (default: $IT4IT_DEPLOYER, else it4it-deployer)",
    )
    add_cluster_flags(tenant)
    tenant.set_defaults(func=_tenant)
