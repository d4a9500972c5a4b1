"""The operator's and developer's commands: run the operator, the local control plane, CRDs.

`it4it run` is the operator process (the image's entrypoint), `it4it cluster` and `it4it dev
run` the local control plane of `make run`, `it4it crds` the generator of crds/, `it4it plugins`
the automation plugins installed. Each imports what it needs lazily.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from it4it_operator.cli.common import add_output_flag, emit, format_table

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
    kubectl apply -f manifests/samples/00-namespaces.yaml
    it4it tenant enable shop
    kubectl apply -f manifests/samples/
    kubectl get it4it -A
""",
        flush=True,
    )
    # A fresh process, so that every client (ours and kopf's) reads KUBECONFIG from the start.
    os.execv(sys.executable, [sys.executable, "-m", "it4it_operator.cli", "run"])


def _plugins(args: argparse.Namespace) -> int:
    """The automation plugins installed (entry points of group it4it.plugins)."""
    import dataclasses

    from it4it_operator.plugins.registry import load_plugins

    rows = load_plugins().describe()
    header = ("TYPE", "NAME", "SOURCE", "HANDLES")
    emit(
        [dataclasses.asdict(r) for r in rows],
        args.output,
        lambda: format_table(header, [(r.type, r.name, r.source, r.handles) for r in rows]),
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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

    plugins = sub.add_parser("plugins", help="list the automation plugins installed")
    add_output_flag(plugins)
    plugins.set_defaults(func=_plugins)

    crds = sub.add_parser("crds", help="write the CRD YAML generated from the API models")
    crds.add_argument("--out", type=Path, default=Path("crds"))
    crds.set_defaults(func=_crds)
