"""The `it4it` command: run the operator, generate CRDs, manage the local control plane.

Each subcommand imports what it needs lazily, so `it4it crds` works without a cluster and
`it4it cluster up` without the operator's dependencies being touched.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_CLUSTER_DIR = Path(".cluster")


def _cluster(args: argparse.Namespace) -> int:
    from it4it_operator.devcluster import LocalCluster, tools

    size = {"nodes": args.nodes, "pods_per_node": args.pods_per_node}
    cluster = LocalCluster(args.dir.resolve(), **{k: v for k, v in size.items() if v is not None})
    if args.action == "build":
        print(tools.ensure())
    elif args.action == "up":
        cluster.up()
        print(
            f"control plane up ({cluster.nodes} nodes x {cluster.pods_per_node} pods): "
            f"kubectl --kubeconfig {cluster.kubeconfig} get nodes\n"
            f"operator kubeconfig (audited in {cluster.audit_log}): {cluster.operator_kubeconfig}"
        )
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


def _run(args: argparse.Namespace) -> int:
    from it4it_operator.handlers.run import run_operator

    port = args.metrics_port or int(os.environ.get("IT4IT_METRICS_PORT") or 0)
    address = os.environ.get("IT4IT_METRICS_ADDRESS", "0.0.0.0")
    run_operator(
        metrics=(address, port) if port else None,
        namespace=args.namespace,
        liveness=args.liveness,
        log_format=args.log_format,
        peering=args.peering,
        verbose=args.verbose,
    )
    return 0


def _dev_run(args: argparse.Namespace) -> int:
    """`make run`: the local control plane (unless KUBECONFIG is set), CRDs, the operator."""

    from it4it_operator.devcluster import LocalCluster, tools
    from it4it_operator.devcluster.operator import install_crds

    if os.environ.get("KUBECONFIG"):
        kubeconfig = Path(os.environ["KUBECONFIG"])
        print(f"using the cluster of KUBECONFIG={kubeconfig}")
    else:
        kubeconfig = LocalCluster(args.dir.resolve()).up().kubeconfig
        os.environ["KUBECONFIG"] = str(kubeconfig)
    install_crds(kubeconfig)
    print(
        f"""
The operator runs below; Ctrl-C stops it (the control plane keeps running: make cluster-down).
In another shell:
    export KUBECONFIG={kubeconfig}
    export PATH={tools.bin_dir()}:$PATH
    kubectl apply -f manifests/samples/
    kubectl get it4it -A
""",
        flush=True,
    )
    # A fresh process, so that every client (ours and kopf's) reads KUBECONFIG from the start.
    os.execv(sys.executable, [sys.executable, "-m", "it4it_operator.cli", "run"])


def _catalog(args: argparse.Namespace) -> int:
    """Select an Offer, for people: what a namespace may order now."""
    import dataclasses
    import json

    import yaml

    from it4it_operator import API_VERSION
    from it4it_operator.controllers.context import utc_now
    from it4it_operator.k8s import Kube
    from it4it_operator.stages.consume.catalog import catalog, format_table

    kube = Kube.connect()
    labels: dict[str, str] = {}
    if args.namespace:
        found = kube.namespace_labels(args.namespace)
        if found is None:
            print(f"namespace {args.namespace} does not exist", file=sys.stderr)
            return 1
        labels = found
    rows = catalog(
        kube.list_objects(API_VERSION, "ServiceOffer"),
        namespace=args.namespace,
        labels=labels,
        now=utc_now(),
        search=args.search,
        category=args.category,
    )
    if args.output == "table":
        print(format_table(rows))
    else:
        data = [dataclasses.asdict(r) for r in rows]
        print(json.dumps(data, indent=2) if args.output == "json" else yaml.safe_dump(data))
    return 0


def _plugins(args: argparse.Namespace) -> int:
    """The automation plugins installed (entry points of group it4it.plugins)."""
    from it4it_operator.plugins.registry import load_plugins

    rows = load_plugins().describe()
    header = ("TYPE", "NAME", "SOURCE", "HANDLES")
    table = [header, *((r.type, r.name, r.source, r.handles) for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


INCIDENT_COLUMNS = ("NAMESPACE", "NAME", "PRIORITY", "PHASE", "INSTANCE", "SYMPTOM", "ACTION")


def _incidents(args: argparse.Namespace) -> int:
    """Operate, for SREs: the incidents of a namespace (or all), most urgent first."""
    import json

    import yaml

    from it4it_operator import API_VERSION
    from it4it_operator.k8s import Kube

    found = Kube.connect().list_objects(API_VERSION, "Incident", args.namespace)
    if not args.all:
        found = [i for i in found if (i.get("status") or {}).get("phase") != "Closed"]
    found.sort(
        key=lambda i: ((i.get("status") or {}).get("priority") or "P9", i["metadata"]["name"])
    )
    if args.output != "table":
        print(json.dumps(found, indent=2) if args.output == "json" else yaml.safe_dump(found))
        return 0
    rows = [INCIDENT_COLUMNS] + [
        (
            i["metadata"]["namespace"],
            i["metadata"]["name"],
            str((i.get("status") or {}).get("priority") or "-"),
            str((i.get("status") or {}).get("phase") or "-"),
            str(i["spec"].get("instance")),
            str((i.get("status") or {}).get("symptom") or "-"),
            str((i.get("status") or {}).get("courseOfAction") or "-"),
        )
        for i in found
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(len(INCIDENT_COLUMNS))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="it4it", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    cluster = sub.add_parser("cluster", help="the local control plane (etcd, apiserver, KWOK)")
    cluster.add_argument("action", choices=["up", "down", "status", "build"])
    cluster.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_CLUSTER_DIR,
        help="the cluster's folder (default: .cluster)",
    )
    cluster.add_argument(
        "--nodes",
        type=int,
        help="up: fake KWOK nodes (default: $IT4IT_DEV_NODES, else 4)",
    )
    cluster.add_argument(
        "--pods-per-node",
        type=int,
        help="up: allocatable pods per node (default: $IT4IT_DEV_PODS_PER_NODE, else 1000)",
    )
    cluster.set_defaults(func=_cluster)

    run = sub.add_parser("run", help="run the operator (in-cluster config or KUBECONFIG)")
    run.add_argument("--namespace", help="watch one namespace (default: all)")
    run.add_argument("--liveness", help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz")
    run.add_argument("--log-format", choices=["plain", "json"], default="plain")
    run.add_argument(
        "--leader-election",
        "--peering",  # its old name, from when replicas met in a kopf peering object
        dest="peering",
        metavar="LEASE",
        help="several replicas: the one holding Lease LEASE (in its own namespace) reconciles",
    )
    run.add_argument("--verbose", action="store_true")
    run.add_argument(
        "--metrics-port",
        type=int,
        help="serve Prometheus metrics on this port "
        "(or $IT4IT_METRICS_PORT; address $IT4IT_METRICS_ADDRESS, default 0.0.0.0)",
    )
    run.set_defaults(func=_run)

    dev = sub.add_parser("dev", help="developer workflows")
    dev.add_argument("action", choices=["run"])
    dev.add_argument("--dir", type=Path, default=DEFAULT_CLUSTER_DIR)
    dev.set_defaults(func=_dev_run)

    cat = sub.add_parser("catalog", help="the service offers a namespace may order")
    cat.add_argument("--namespace", "-n", help="the ordering namespace (default: any)")
    cat.add_argument("--search", help="case-insensitive text in name, description or tags")
    cat.add_argument("--category", help="only offers of this category")
    cat.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    cat.set_defaults(func=_catalog)

    inc = sub.add_parser("incidents", help="incidents on the instances, most urgent first")
    inc.add_argument("--namespace", "-n", help="one namespace (default: all)")
    inc.add_argument("--all", action="store_true", help="closed ones too")
    inc.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    inc.set_defaults(func=_incidents)

    plugins = sub.add_parser("plugins", help="list the automation plugins installed")
    plugins.set_defaults(func=_plugins)

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
