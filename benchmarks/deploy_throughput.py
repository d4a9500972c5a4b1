"""Benchmark: how fast the operator brings N DesiredProductInstances to Ready, and its memory.

Starts a fresh local control plane (or uses IT4IT_BENCH_KUBECONFIG), installs the CRDs, runs the
operator as `it4it run`, applies one ProductRelease and N instances of it at once, and prints:
time until all are Ready, per-instance time to Ready (p50/p95/max, from creation to the Ready
condition's transition), the operator's peak resident memory, and reconcile passes per second.
It asserts nothing: figures are for comparing changes (`make bench N=50`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from it4it_operator.devcluster import LocalCluster, tools
from it4it_operator.devcluster.operator import OperatorProcess, install_crds

NAMESPACE = "bench"
DIGEST = "sha256:" + "cd" * 32


def release() -> dict[str, Any]:
    labels = {"app": "$(instance.name)"}
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "ProductRelease",
        "metadata": {"name": "web-1-0-0", "namespace": NAMESPACE},
        "spec": {
            "product": "web",
            "version": "1.0.0",
            "buildPackage": {"images": [{"name": "web", "image": f"example.com/web@{DIGEST}"}]},
            "parameters": {
                "type": "object",
                "properties": {"replicas": {"type": "integer", "default": 1}},
            },
            "manifests": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "$(instance.name)"},
                    "data": {"k": "v"},
                },
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": "$(instance.name)"},
                    "spec": {
                        "replicas": "$(params.replicas)",
                        "selector": {"matchLabels": labels},
                        "template": {
                            "metadata": {"labels": labels},
                            "spec": {"containers": [{"name": "web", "image": "$(images.web)"}]},
                        },
                    },
                },
            ],
            "acceptance": {"accepted": True, "acceptedBy": "bench"},
        },
    }


def instance(index: int) -> dict[str, Any]:
    return {
        "apiVersion": "it4it.dev/v1alpha1",
        "kind": "DesiredProductInstance",
        "metadata": {"name": f"web-{index:04d}", "namespace": NAMESPACE},
        "spec": {
            "release": {"namespace": NAMESPACE, "name": "web-1-0-0"},
            "plan": {"approval": "Automatic", "observeSeconds": 0},
        },
    }


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def ready_seconds(kubeconfig: Path) -> list[float]:
    out = tools.kubectl(kubeconfig, "get", "dpi", "-n", NAMESPACE, "-o", "json").stdout
    found = []
    for dpi in json.loads(out)["items"]:
        ready = [
            c
            for c in dpi.get("status", {}).get("conditions", [])
            if c["type"] == "Ready" and c["status"] == "True"
        ]
        if ready:
            created = _time(dpi["metadata"]["creationTimestamp"])
            found.append((_time(ready[0]["lastTransitionTime"]) - created).total_seconds())
    return found


def run(kubeconfig: Path, count: int, timeout: float, interval: str, log: Path) -> None:
    install_crds(kubeconfig)
    tools.kubectl(kubeconfig, "create", "namespace", NAMESPACE)
    operator = OperatorProcess(kubeconfig, log, {"IT4IT_RECONCILE_INTERVAL": interval})
    operator.start()
    try:
        time.sleep(3)
        tools.kubectl(kubeconfig, "apply", "-f", "-", input=yaml.safe_dump(release()))
        started = time.monotonic()
        tools.kubectl(
            kubeconfig,
            "apply",
            "-f",
            "-",
            input=yaml.safe_dump_all(instance(i) for i in range(count)),
        )
        peak, seconds = operator.rss_bytes(), []
        while time.monotonic() - started < timeout:
            peak = max(peak, operator.rss_bytes())
            seconds = ready_seconds(kubeconfig)
            if len(seconds) == count:
                break
            time.sleep(1)
        wall = time.monotonic() - started
        passes = operator.log.read_text(errors="replace").count("Timer 'instance_timer' succeeded")
    finally:
        operator.stop()
    seconds.sort()
    p95 = seconds[max(0, int(len(seconds) * 0.95) - 1)] if seconds else float("nan")
    print(f"instances ready        {len(seconds)}/{count}")
    print(f"all ready after        {wall:.1f} s (reconcile interval {interval} s)")
    if seconds:
        print(
            f"time to Ready          p50 {statistics.median(seconds):.1f} s, p95 {p95:.1f} s, "
            f"max {seconds[-1]:.1f} s"
        )
    print(f"operator peak RSS      {peak / 2**20:.0f} MiB")
    print(f"timer passes           {passes} ({passes / wall:.1f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--interval", default="5", help="IT4IT_RECONCILE_INTERVAL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "operator.log"
        if existing := os.environ.get("IT4IT_BENCH_KUBECONFIG"):
            run(Path(existing), args.instances, args.timeout, args.interval, log)
            return
        cluster = LocalCluster(Path(tmp) / "cluster").up()
        try:
            run(cluster.kubeconfig, args.instances, args.timeout, args.interval, log)
        finally:
            cluster.down()


if __name__ == "__main__":
    main()
