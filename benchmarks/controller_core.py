"""Benchmark of the controller core: what the operator costs on top of the workloads it deploys.

The design says cost follows change, not object count (../shared/DESIGN.md, "Rules the
controllers keep"). This benchmark puts numbers on that claim, on one cluster in one run:

- B0, the floor: N ConfigMaps and N one-replica Deployments server-side applied directly (as the
  operator applies them), until every Deployment is available. Wall time and the API requests
  the whole cluster made for it (kube-apiserver's `apiserver_request_total`), per instance.
- B1, the operator: one ProductRelease, one ServiceOffer over it, N Subscriptions at once, until
  every Subscription is Ready. The same figures, per subscription, so B1 - B0 is the operator.
- Idle: 60 s with nothing changing; the operator's requests and writes from the apiserver audit
  log (which records only the operator's user), and all clients' from the metrics.
- Memory of the operator process, and the marginal latency of one more Subscription with N
  resident (its pod Ready -> the Subscription Ready).

It asserts nothing: it prints one Markdown table with the targets beside the figures (`make
bench`, `make bench N=200`, `make bench-10k`). With IT4IT_BENCH_KUBECONFIG it uses that cluster
instead of starting one, and skips what needs the local cluster's audit log.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from core_report import Audited, Idle, Phase, Results, Subscribed, Waited, standing_notes, table

from it4it_operator.devcluster import LocalCluster, tools
from it4it_operator.devcluster import workload as devworkload
from it4it_operator.devcluster.operator import OperatorProcess, install_crds

DIRECT_NS, RELEASE_NS, SUBS_NS = "bench-direct", "bench-release", "bench-subs"
OFFER, TERMS, FIELD_MANAGER = "web-bench", "2026-01", "it4it-bench"
SUBS = "subscriptions.it4it.dev"
DIGEST = "sha256:" + "cd" * 32
OPERATOR_USER = "it4it-operator"
CHUNK = 200  # objects per `kubectl apply`
POLL_SECONDS = 2.0
IDLE_SECONDS = 60.0
SETTLE_SECONDS = 10.0  # after convergence, before the idle window opens
MARGINAL = 5
PODS_PER_NODE = 1000


# -- documents ----------------------------------------------------------------------------------
workload = devworkload.objects
"""The objects of one instance, as the release renders them for instance `name`."""


def release() -> dict[str, Any]:
    return devworkload.release("web-1-0-0", RELEASE_NS, accepted_by="bench")


def offer() -> dict[str, Any]:
    """The sample offer's shape (manifests/samples/20-serviceoffer.yaml), for bench-subs."""
    return devworkload.offer(
        OFFER, release_namespace=RELEASE_NS, audience=[SUBS_NS], purpose="bench run"
    )


def subscription(name: str) -> dict[str, Any]:
    return devworkload.subscription(name, OFFER)


def instance_names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(count)]


# -- the cluster --------------------------------------------------------------------------------
@dataclass
class Target:
    """The cluster under test: the bench's own (admin) kubeconfig, the operator's, the audit log."""

    kubeconfig: Path
    operator_kubeconfig: Path
    audit_log: Path | None
    sizing: str
    processes: dict[str, int] = dataclasses.field(default_factory=dict)
    """The control plane's processes by component (local cluster only), for CPU accounting."""

    def kubectl(self, *args: str, input: str | None = None) -> str:
        try:
            return tools.kubectl(self.kubeconfig, *args, input=input).stdout
        except subprocess.CalledProcessError as e:
            raise RuntimeError(f"kubectl {' '.join(args[:3])}: {e.stderr.strip()}") from e

    def ok(self, *args: str) -> bool:
        return tools.kubectl(self.kubeconfig, *args, check=False).returncode == 0

    def items(self, kind: str, namespace: str, *extra: str) -> list[dict[str, Any]]:
        out = self.kubectl("get", kind, "-n", namespace, "-o", "json", *extra)
        return list(json.loads(out)["items"])

    def apply(self, docs: list[dict[str, Any]], namespace: str | None = None) -> None:
        """Server-side apply `docs`, CHUNK objects per kubectl call."""
        scope = ["-n", namespace] if namespace else []
        for start in range(0, len(docs), CHUNK):
            chunk = yaml.safe_dump_all(docs[start : start + CHUNK])
            args = ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", *scope]
            self.kubectl(*args, "-f", "-", input=chunk)


def missing_devcluster_features() -> list[str]:
    """What of the dev cluster's benchmark interface this checkout lacks."""
    missing = []
    if "pods_per_node" not in {f.name for f in dataclasses.fields(LocalCluster)}:
        missing.append("LocalCluster(pods_per_node=...)")
    if not hasattr(LocalCluster, "operator_kubeconfig"):
        missing.append("LocalCluster.operator_kubeconfig")
    if importlib.util.find_spec("it4it_operator.devcluster.audit") is None:
        missing.append("it4it_operator.devcluster.audit (read_audit, summarize)")
    return missing


@contextlib.contextmanager
def local_cluster(directory: Path, count: int) -> Iterator[Target]:
    """A fresh control plane sized for B0's and B1's pods side by side (2N + 100), always
    stopped afterwards."""
    if missing := missing_devcluster_features():
        raise SystemExit(
            "benchmarks/controller_core.py needs the dev cluster's benchmark interface, "
            f"missing here: {', '.join(missing)}. Update operator/it4it_operator/devcluster/ "
            "or point IT4IT_BENCH_KUBECONFIG at a cluster."
        )
    nodes = max(2, math.ceil((2 * count + 100) / PODS_PER_NODE))
    cluster = LocalCluster(directory, nodes=nodes, pods_per_node=PODS_PER_NODE)
    try:
        cluster.up()
        yield Target(
            kubeconfig=cluster.kubeconfig,
            operator_kubeconfig=cluster.operator_kubeconfig,
            audit_log=directory / "logs" / "audit.log",
            sizing=f"local control plane, {nodes} KWOK nodes x {PODS_PER_NODE} pods",
            processes=dict(cluster.pids),
        )
    finally:
        cluster.down()


# -- apiserver metrics --------------------------------------------------------------------------
_SERIES = re.compile(r"^apiserver_request_total\{(?P<labels>.*)\} (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
Scrape = dict[tuple[tuple[str, str], ...], float]


def scrape(target: Target) -> Scrape | None:
    """kube-apiserver's apiserver_request_total series now; None if /metrics is not readable."""
    try:
        text = target.kubectl("get", "--raw", "/metrics")
    except RuntimeError:
        return None
    series: Scrape = {}
    for line in text.splitlines():
        if m := _SERIES.match(line):
            series[tuple(sorted(_LABEL.findall(m["labels"])))] = float(m["value"])
    return series


def requests_by_verb(before: Scrape | None, after: Scrape | None) -> Counter[str] | None:
    """Requests completed between two scrapes, by verb (all clients)."""
    if before is None or after is None:
        return None
    verbs: Counter[str] = Counter()
    for labels, value in after.items():
        verbs[dict(labels).get("verb", "?")] += int(value - before.get(labels, 0.0))
    return +verbs


# -- waiting ------------------------------------------------------------------------------------
def cpu_seconds(processes: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) each process has used so far, from /proc/PID/stat, and this
    benchmark's own with the kubectl it ran: where the cores went, when two are shared by all."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for name, pid in processes.items():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    own = os.times()
    used["benchmark+kubectl"] = own.user + own.system + own.children_user + own.children_system
    return used


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def wait_for(
    what: str,
    progress: Callable[[], tuple[int, int]],
    timeout: float,
    interval: float = POLL_SECONDS,
    started: float | None = None,
) -> Waited:
    """Poll `progress` (have, want) every `interval` s until have == want or `timeout`."""
    started = time.monotonic() if started is None else started
    while True:
        have, want = progress()
        elapsed = time.monotonic() - started
        if have >= want or elapsed > timeout:
            reached = f"{have}/{want} {what}"
            if have < want:
                print(f"  timed out after {elapsed:.0f} s: {reached}", file=sys.stderr)
            return Waited(have >= want, elapsed, reached)
        time.sleep(interval)


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    found = [c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == type_]
    return found[0] if found else {}


def ready_at(obj: dict[str, Any]) -> dt.datetime | None:
    ready = condition(obj, "Ready")
    return _time(ready["lastTransitionTime"]) if ready.get("status") == "True" else None


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- phases -------------------------------------------------------------------------------------
def direct_phase(target: Target, count: int, timeout: float) -> Phase:
    """B0: the same objects without the operator, then the namespace deleted again."""
    log(f"B0: {count} ConfigMaps + Deployments applied directly in {DIRECT_NS}")
    target.kubectl("create", "namespace", DIRECT_NS)
    docs = [doc for name in instance_names("web", count) for doc in workload(name)]
    before, started, cpu = scrape(target), time.monotonic(), cpu_seconds(target.processes)
    target.apply(docs, DIRECT_NS)

    def available() -> tuple[int, int]:
        deploys = target.items("deploy", DIRECT_NS)
        return sum((d.get("status") or {}).get("availableReplicas") == 1 for d in deploys), count

    waited = wait_for("Deployments available", available, timeout, started=started)
    spent = cpu_spent(cpu, cpu_seconds(target.processes))
    phase = Phase(waited, requests_by_verb(before, scrape(target)), spent)
    log(f"B0: {waited.reached} after {waited.seconds:.0f} s; deleting {DIRECT_NS}")
    target.kubectl("delete", "namespace", DIRECT_NS, "--wait=false")

    def gone() -> tuple[int, int]:
        return int(not target.ok("get", "namespace", DIRECT_NS)), 1

    wait_for(f"namespace {DIRECT_NS} gone", gone, timeout)
    return phase


def enable_tenant(target: Target, namespace: str) -> None:
    """`it4it tenant enable` where the CLI has it (the deployer ServiceAccount that the
    operator impersonates, ../shared/API.md); a no-op for an operator without tenancy."""
    it4it = [sys.executable, "-m", "it4it_operator.cli", "tenant"]
    if subprocess.run([*it4it, "--help"], capture_output=True, check=False).returncode != 0:
        return
    env = {**os.environ, "KUBECONFIG": str(target.kubeconfig)}
    subprocess.run([*it4it, "enable", namespace], env=env, capture_output=True, check=True)


def publish_offer(target: Target, operator: OperatorProcess) -> None:
    """The release and the offer over it, Ready before any subscription arrives."""
    for namespace in (RELEASE_NS, SUBS_NS):
        target.kubectl("create", "namespace", namespace)
    enable_tenant(target, SUBS_NS)
    target.apply([release()])
    target.apply([offer()])
    ready = ("wait", "--for=condition=Ready", f"serviceoffers.it4it.dev/{OFFER}", "--timeout=120s")
    if not target.ok(*ready):
        raise RuntimeError(f"ServiceOffer {OFFER} not Ready after 120 s:\n{operator.tail()}")


def subscription_phase(
    target: Target, operator: OperatorProcess, count: int, timeout: float
) -> Subscribed:
    """B1: N Subscriptions at once, until every one is Ready."""
    log(f"B1: {count} Subscriptions in {SUBS_NS}")
    names = set(instance_names("sub", count))
    before, opened = scrape(target), dt.datetime.now(dt.UTC)
    processes = {**target.processes, "operator": operator.pid}
    started, peak, cpu = time.monotonic(), operator.rss_bytes(), cpu_seconds(processes)
    target.apply([subscription(name) for name in sorted(names)], SUBS_NS)
    subs: list[dict[str, Any]] = []

    def ready() -> tuple[int, int]:
        nonlocal subs, peak
        if operator.rss_bytes() == 0:
            raise RuntimeError(f"the operator exited:\n{operator.tail()}")
        peak = max(peak, operator.rss_bytes())
        subs = [s for s in target.items(SUBS, SUBS_NS) if s["metadata"]["name"] in names]
        return sum(ready_at(s) is not None for s in subs), count

    waited = wait_for("Subscriptions Ready", ready, timeout, started=started)
    verbs = requests_by_verb(before, scrape(target))
    spent = cpu_spent(cpu, cpu_seconds(processes))
    own = operator_requests(target.audit_log, opened, dt.datetime.now(dt.UTC))
    log(f"B1: {waited.reached} after {waited.seconds:.0f} s")
    seconds = [
        (at - _time(s["metadata"]["creationTimestamp"])).total_seconds()
        for s in subs
        if (at := ready_at(s)) is not None
    ]
    return Subscribed(waited, verbs, spent, sorted(seconds), peak, own)


def idle_phase(target: Target) -> Idle:
    """IDLE_SECONDS with nothing changing: what the operator (audit log) and every client
    (metrics) still ask of the API server."""
    log(f"idle: {SETTLE_SECONDS:.0f} s to settle, then {IDLE_SECONDS:.0f} s with nothing changing")
    time.sleep(SETTLE_SECONDS)
    before, opened = scrape(target), dt.datetime.now(dt.UTC)
    time.sleep(IDLE_SECONDS)
    after, closed = scrape(target), dt.datetime.now(dt.UTC)
    operator = operator_requests(target.audit_log, opened, closed)
    return Idle((closed - opened).total_seconds(), operator, requests_by_verb(before, after))


def operator_requests(
    audit_log: Path | None, opened: dt.datetime, closed: dt.datetime
) -> Audited | None:
    """The operator's requests received inside [opened, closed], as the dev cluster's audit
    reader counts them; None without an audit log. Rotated files (audit-<time>.log beside it)
    are read too."""
    if audit_log is None:
        return None
    from it4it_operator.devcluster.audit import WRITES, read_audit, summarize

    files = sorted(audit_log.parent.glob(f"{audit_log.stem}*{audit_log.suffix}"))
    records = [r for f in files for r in read_audit(f, user=OPERATOR_USER, since=opened)]
    window = [r for r in records if r.timestamp <= closed]
    by_resource = Counter(
        "/".join(filter(None, (r.resource, r.subresource))) for r in window if r.verb in WRITES
    )
    return Audited(summarize(window), by_resource)


def marginal_phase(target: Target, timeout: float) -> list[float]:
    """With N resident, MARGINAL more Subscriptions one at a time: seconds from each one's pod
    turning Ready to the Subscription turning Ready."""
    log(f"marginal: {MARGINAL} more Subscriptions, one at a time")
    found = []
    for name in instance_names("marginal", MARGINAL):
        target.apply([subscription(name)], SUBS_NS)
        sub: dict[str, Any] = {}

        def ready(name: str = name) -> tuple[int, int]:
            nonlocal sub
            sub = json.loads(target.kubectl("get", SUBS, name, "-n", SUBS_NS, "-o", "json"))
            return int(ready_at(sub) is not None), 1

        wait_for(f"{name} Ready", ready, timeout, interval=0.5)
        pods = target.items("pods", SUBS_NS, "-l", f"app={name}")
        pod_ready = max((at for p in pods if (at := ready_at(p)) is not None), default=None)
        if (sub_ready := ready_at(sub)) and pod_ready:
            found.append((sub_ready - pod_ready).total_seconds())
    return found


# -- the run ------------------------------------------------------------------------------------
def run(target: Target, results: Results, timeout: float, workdir: Path) -> None:
    """Every phase in order, filling `results` as they finish. The operator logs at info level,
    as the chart runs it (IT4IT_BENCH_DEBUG=1: debug, as the tests run it)."""
    results.sizing = target.sizing
    install_crds(target.kubeconfig)
    results.direct = direct_phase(target, results.count, timeout)
    env = {"IT4IT_RESYNC_SECONDS": "600"}
    debug = os.environ.get("IT4IT_BENCH_DEBUG") == "1"
    operator = OperatorProcess(
        target.operator_kubeconfig, workdir / "operator.log", env, verbose=debug
    )
    operator.start()
    try:
        publish_offer(target, operator)
        results.subscribed = subscription_phase(target, operator, results.count, timeout)
        if not results.subscribed.waited.done:
            log(f"operator log, last lines:\n{operator.tail(20)}")
            results.notes.append("B1 did not converge: idle and marginal phases skipped.")
            return
        results.rss_converged = operator.rss_bytes()
        results.idle = idle_phase(target)
        results.rss_idle = operator.rss_bytes()
        results.marginal = marginal_phase(target, timeout)
    finally:
        operator.stop()


def measure(target: Target, results: Results, timeout: float, workdir: Path) -> None:
    """`run`, keeping what was measured before a phase failed."""
    try:
        run(target, results, timeout, workdir)
    except Exception as e:
        log(f"aborted: {e}")
        results.notes.append(f"Aborted: {str(e).splitlines()[0]}")


def clean_up(target: Target) -> None:
    """On a cluster of the user's own, remove what the run created (without waiting)."""
    target.kubectl("delete", "serviceoffers.it4it.dev", OFFER, "--ignore-not-found", "--wait=false")
    for namespace in (SUBS_NS, RELEASE_NS, DIRECT_NS):
        target.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false")


def external_target() -> Target | None:
    if not (path := os.environ.get("IT4IT_BENCH_KUBECONFIG")):
        return None
    kubeconfig = Path(path).expanduser()
    return Target(kubeconfig, kubeconfig, None, f"cluster of IT4IT_BENCH_KUBECONFIG={path}")


def benchmark(count: int, timeout: float, workdir: Path) -> Results:
    results = Results(count, sizing="not started")
    if external := external_target():
        results.notes.append(
            "IT4IT_BENCH_KUBECONFIG: no audit log there, so the operator's idle requests are not "
            "measured; the operator ran with that kubeconfig."
        )
        try:
            measure(external, results, timeout, workdir)
        finally:
            clean_up(external)
        return results
    with local_cluster(workdir / "cluster", count) as target:
        measure(target, results, timeout, workdir)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", "-n", type=int, default=1000, help="N (default 1000)")
    parser.add_argument("--timeout", type=float, help="seconds per phase (N x 1.5 + 300)")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--workdir", type=Path, help="keep the cluster and operator log here")
    args = parser.parse_args()
    timeout = args.timeout or args.instances * 1.5 + 300
    with contextlib.ExitStack() as stack:
        if args.workdir:
            workdir = args.workdir.resolve()
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="it4it-bench-")))
        results = benchmark(args.instances, timeout, workdir)
    results.notes[:0] = standing_notes(results, POLL_SECONDS, IDLE_SECONDS, SETTLE_SECONDS)
    text = table(results)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
