"""The `it4it` command: run the operator, generate CRDs, manage the local control plane.

Each subcommand imports what it needs lazily, so `it4it crds` works without a cluster and
`it4it cluster up` without the operator's dependencies being touched.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_CLUSTER_DIR = Path(".cluster")


def _cluster(args: argparse.Namespace) -> int:
    from it4it_operator.devcluster import LocalCluster, tools

    cluster = LocalCluster(args.dir.resolve())
    if args.action == "build":
        print(tools.ensure())
    elif args.action == "up":
        cluster.up()
        print(f"control plane up: kubectl --kubeconfig {cluster.kubeconfig} get nodes")
    elif args.action == "down":
        cluster.down()
        print("control plane stopped")
    else:
        status = cluster.status()
        for name, alive in status.items():
            print(f"{name:25} {'running' if alive else 'stopped'}")
        return 0 if all(status.values()) else 1
    return 0


def _crds(args: argparse.Namespace) -> int:
    from it4it_operator.api import crdgen

    for path in crdgen.write(args.out):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="it4it", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    cluster = sub.add_parser("cluster", help="the local control plane (etcd, apiserver, KWOK)")
    cluster.add_argument("action", choices=["up", "down", "status", "build"])
    cluster.add_argument("--dir", type=Path, default=DEFAULT_CLUSTER_DIR,
                         help="the cluster's folder (default: .cluster)")
    cluster.set_defaults(func=_cluster)

    crds = sub.add_parser("crds", help="write the CRD YAML generated from the API models")
    crds.add_argument("--out", type=Path, default=Path("crds"))
    crds.set_defaults(func=_crds)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
