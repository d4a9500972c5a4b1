"""The cluster, the operator behind the proxy, the workload, and the waits the scenarios share.

One `Harness` per run: a fresh LocalCluster in the run's folder, the CRDs, a TCP proxy between
the operator and the API server (so the watch scenarios can cut it), the operator started as a
user would (`it4it run`, audited user it4it-operator), one release and one offer. It keeps what
every subscription was last asked for (`expected`), so "converged" means: every subscription
and its instance Ready for their current generation, and every instance's parameters and
Deployment holding the replicas asked, available.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from faults import invariants, workload
from faults.invariants import Snapshot, Violation
from faults.proxy import TcpProxy
from faults.report import FaultResult
from faults.rest import STRATEGIC, ApiError, Obj, Rest, apps, core, it4it, rbac
from it4it_operator.devcluster import LocalCluster
from it4it_operator.devcluster.operator import OperatorProcess, install_crds
from it4it_operator.stages.deploy.deployer import deployer_objects

log = logging.getLogger("faults")
POLL = 0.5
OPERATOR_ENV = {"IT4IT_RESYNC_SECONDS": "600"}
Key = tuple[str, str]
WORKLOAD_NAMESPACES = (workload.SUBS_NS, workload.DOOMED_NS)
STUCK_PENDING_SECONDS = 60.0
"""A pod bound to a Ready fake node this long ago that never started was missed by KWOK."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def say(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Config:
    seed: int
    subscriptions: int = 30
    kills: int = 10
    restarts: int = 1
    """Restarts of kube-apiserver and of etcd each; stalls and drops each."""
    scenarios: tuple[str, ...] = ()
    overrun: float = 0.0
    """Seconds to keep waiting past the 2-minute bound, to measure a late recovery."""
    doomed: int = 5
    """Subscriptions in the namespace the deletion scenario deletes whole."""


@dataclass
class Harness:
    config: Config
    workdir: Path
    cluster: LocalCluster = field(init=False)
    admin: Rest = field(init=False)
    proxy: TcpProxy = field(init=False)
    operator: OperatorProcess = field(init=False)
    rng: random.Random = field(init=False)
    expected: dict[Key, int] = field(default_factory=dict)
    last_restart: dt.datetime = field(default_factory=now)
    crashes: list[str] = field(default_factory=list)
    extra_operators: list[OperatorProcess] = field(default_factory=list)
    watching: bool = True
    """Whether an operator that exited counts as a crash (not while a scenario stopped it)."""
    findings: list[str] = field(default_factory=list)
    revived: int = 0
    stalled: set[Key] = field(default_factory=set)
    """Instances whose Stalled condition was True at the last look (`waiting`)."""
    written_off: set[Key] = field(default_factory=set)
    reported: set[Violation] = field(default_factory=set)
    broken: Counter[str] = field(default_factory=Counter)
    """Times a scenario broke an instance on purpose ("namespace/name"): one Incident each."""
    """Violations of the cluster's state already charged to a fault (checks are cumulative)."""
    results: list[FaultResult] = field(default_factory=list)
    """The rows so far (printed even when the run is cut short)."""
    """Pods set Ready again in place of the kubelet that KWOK's fake nodes lack (`revive_pods`)."""
    _revive_at: float = 0.0
    _serial: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.cluster = LocalCluster(self.workdir / "cluster")

    # -- life ----------------------------------------------------------------------------------
    def up(self) -> None:
        say(f"starting a local control plane in {self.cluster.directory}")
        self.cluster.up()
        install_crds(self.cluster.kubeconfig)
        self.admin = Rest(self.cluster.kubeconfig)
        self.proxy = TcpProxy("127.0.0.1", self.cluster.ports["kube-apiserver"]).start()
        kubeconfig = self.proxied_kubeconfig(self.cluster.operator_kubeconfig)
        self.operator = OperatorProcess(kubeconfig, self.workdir / "operator.log", OPERATOR_ENV)
        self.start_operator()
        for namespace in (workload.RELEASE_NS, *WORKLOAD_NAMESPACES, workload.CORPUS_NS):
            self.admin.create(
                core("namespaces"),
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            )
            self.enable_tenant(namespace)
        release = workload.release()
        self.admin.create(it4it("productreleases", workload.RELEASE_NS), release)
        self.admin.create(it4it("serviceoffers"), workload.offer())
        self.wait_for(
            "the ServiceOffer Ready",
            lambda: invariants.is_ready(
                self.admin.get(it4it("serviceoffers", name=workload.OFFER)) or {}
            ),
            120,
        )

    def enable_tenant(self, namespace: str) -> None:
        """`it4it tenant enable NAMESPACE`: the deployer the operator applies releases as."""
        binding, account = deployer_objects(namespace)
        self.admin.create(rbac("rolebindings", namespace), binding)
        self.admin.create(core("serviceaccounts", namespace), account)

    def down(self) -> None:
        for process in [*self.extra_operators, getattr(self, "operator", None)]:
            if process is not None:
                process.stop()
        if hasattr(self, "proxy"):
            self.proxy.stop()
        self.cluster.down()

    def proxied_kubeconfig(self, kubeconfig: Path) -> Path:
        """`kubeconfig` (same user and credentials) pointing at the proxy; the server name
        checked in the API server's certificate stays explicit (`tls-server-name`)."""
        config = json.loads(kubeconfig.read_text())
        for entry in config["clusters"]:
            entry["cluster"]["server"] = f"https://127.0.0.1:{self.proxy.port}"
            entry["cluster"]["tls-server-name"] = "localhost"
        path = self.workdir / f"{kubeconfig.stem}-proxied.kubeconfig"
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o600)
        return path

    # -- the operator --------------------------------------------------------------------------
    def start_operator(self) -> None:
        self.operator.start()
        self.last_restart = now()

    def kill_operator(self) -> None:
        self.operator.kill()

    def restart_operator(self) -> None:
        """SIGKILL and start again at once."""
        self.operator.kill()
        self.start_operator()

    def operator_alive(self) -> bool:
        """Whether the operator runs; one that exited on its own is noted and started again."""
        proc = self.operator.proc
        if not self.watching or proc is None or proc.poll() is None:
            return True
        self.crashes.append(f"the operator exited by itself with code {proc.returncode}")
        say(f"the operator exited by itself ({proc.returncode}):\n{self.operator.tail(30)}")
        self.start_operator()
        return False

    # -- the workload --------------------------------------------------------------------------
    def fresh_names(self, count: int, prefix: str = "sub") -> list[str]:
        names = []
        for _ in range(count):
            names.append(f"{prefix}-{self._serial:05d}")
            self._serial += 1
        return names

    def subscribe(self, names: Iterable[str], namespace: str = workload.SUBS_NS) -> None:
        for name in names:
            body = workload.subscription(name, namespace)
            self.retry(partial(self.admin.create, it4it("subscriptions", namespace), body))
            self.expected[(namespace, name)] = 1

    def change(self, keys: Sequence[Key]) -> dict[Key, int]:
        """A spec change of each subscription: another number of replicas. The changes asked."""
        asked = {}
        for namespace, name in keys:
            current = self.expected[(namespace, name)]
            replicas = self.rng.choice(
                [r for r in range(1, workload.MAX_REPLICAS + 1) if r != current]
            )
            patch = {"spec": {"parameters": {"replicas": replicas}}}
            self.retry(partial(self.admin.merge, it4it("subscriptions", namespace, name), patch))
            self.expected[(namespace, name)] = replicas
            asked[(namespace, name)] = replicas
        return asked

    def pick(
        self, count: int, namespace: str = workload.SUBS_NS, exclude: Iterable[Key] = ()
    ) -> list[Key]:
        """`count` subscriptions of `namespace` at random (seeded), none of `exclude`."""
        left = {*exclude}
        keys = sorted(k for k in self.expected if k[0] == namespace and k not in left)
        return self.rng.sample(keys, min(count, len(keys)))

    def forget(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self.expected.pop(key, None)

    def retry(self, write: Callable[[], Any], timeout: float = 60.0) -> Any:
        """A write of the suite's own, retried while the API server is unavailable (a
        restart of it or of etcd)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return write()
            except (OSError, ApiError) as exc:
                status = getattr(exc, "status", 0)
                if (status and status < 500 and status != 429) or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    # -- reading -------------------------------------------------------------------------------
    def items(self, path: str, kind: str, selector: str | None = None) -> list[Obj]:
        found = self.retry(lambda: self.admin.list(path, selector))
        for item in found:
            item.setdefault("kind", kind)
        return list(found)

    def snapshot(self) -> Snapshot:
        children = [
            *self.items(core("configmaps"), "ConfigMap"),
            *self.items(apps("deployments"), "Deployment"),
        ]
        events = self.retry(
            lambda: self.admin.request(
                "GET",
                core("events"),
                query={"fieldSelector": "involvedObject.apiVersion=it4it.dev/v1alpha1"},
            )
        )
        return Snapshot(
            subscriptions=self.items(it4it("subscriptions"), "Subscription"),
            instances=self.items(it4it("desiredproductinstances"), "DesiredProductInstance"),
            actuals=self.items(it4it("actualproductinstances"), "ActualProductInstance"),
            children=children,
            incidents=self.items(it4it("incidents"), "Incident"),
            events=list((events or {}).get("items") or []),
            namespaces=self.items(core("namespaces"), "Namespace"),
        )

    def check(
        self,
        result: FaultResult,
        *,
        final: bool = False,
        gone: Iterable[str] = (),
        ready_deadline: float = 60.0,
        since: dt.datetime | None = None,
    ) -> list[Violation]:
        """Every invariant over the cluster now; violations are added to `result`. Not Ready
        counts `ready_deadline` seconds after `since` (default: the operator's last start)."""
        found = invariants.check(
            self.snapshot(),
            planned=workload.PLANNED,
            last_restart=since or self.last_restart,
            ready_deadline=ready_deadline,
            gone_namespaces=gone,
            final=final,
            ignore=self.written_off,
            caused=self.broken,
        )
        found += [Violation("operator", "it4it run", c) for c in self.crashes]
        self.crashes.clear()
        fresh = [v for v in found if v not in self.reported]  # charged to the first fault only
        self.reported.update(fresh)
        result.violate(fresh)
        return fresh

    def lost(self, asked: dict[Key, int]) -> list[str]:
        """The changes of `asked` not reflected now (none when a later change replaced one)."""
        still = {k: v for k, v in asked.items() if self.expected.get(k) == v}
        instances = self.items(it4it("desiredproductinstances"), "DesiredProductInstance")
        deployments = self.items(apps("deployments"), "Deployment")
        return invariants.lost_changes(still, instances, deployments)

    # -- convergence ---------------------------------------------------------------------------
    def pending(self) -> list[str]:
        """What keeps the workload from being converged (empty: converged)."""
        return list(self.waiting().values())

    def waiting(self) -> dict[Key, str]:
        """The subscriptions not converged yet, and what each waits for."""
        subs: dict[Key, Obj] = {}
        dpis: dict[Key, Obj] = {}
        deploys: dict[Key, Obj] = {}
        for namespace in {k[0] for k in self.expected}:
            for path, kind, into in (
                (it4it("subscriptions", namespace), "Subscription", subs),
                (it4it("desiredproductinstances", namespace), "DesiredProductInstance", dpis),
                (apps("deployments", namespace), "Deployment", deploys),
            ):
                for item in self.items(path, kind):
                    into[(namespace, item["metadata"]["name"])] = item
        waiting = {}
        self.stalled = {
            k for k, d in dpis.items() if invariants.condition(d, "Stalled").get("status") == "True"
        }
        for key, replicas in sorted(self.expected.items()):
            where = f"{key[0]}/{key[1]}"
            sub, dpi, deploy = subs.get(key), dpis.get(key), deploys.get(key)
            if sub is None or not invariants.is_ready(sub):
                waiting[key] = f"Subscription {where} not Ready"
            elif dpi is None or not invariants.is_ready(dpi):
                waiting[key] = f"DesiredProductInstance {where} not Ready"
            elif ((dpi.get("spec") or {}).get("parameters") or {}).get("replicas") != replicas:
                waiting[key] = f"DesiredProductInstance {where} not at replicas={replicas}"
            elif deploy is None or not deployment_at(deploy, replicas):
                waiting[key] = f"Deployment {where} not available at replicas={replicas}"
        return waiting

    def write_off(self, result: FaultResult, keys: Iterable[Key]) -> None:
        """Subscriptions stuck for good (their instance Stalled, waiting for a person): charged
        to `result` once, then left out of the waits and checks of later faults."""
        for key in keys:
            self.expected.pop(key, None)
            self.written_off.add(key)
            result.notes.append(f"{key[1]} stuck ({self.reason(key)}), left out afterwards")

    def reason(self, key: Key) -> str:
        dpi = self.admin.get(it4it("desiredproductinstances", *key)) or {}
        ready = invariants.condition(dpi, "Ready")
        return f"{ready.get('reason')}: {str(ready.get('message'))[:120]}"

    def revive_pods(self) -> int:
        """Set Ready again the pods that only the node lifecycle controller made NotReady.

        After a restart of the API server (or etcd) under load, kube-controller-manager may
        see every fake node's Lease as stale for a moment and mark their pods Ready=False
        ("all Nodes are not-Ready, entering master disruption mode"). A kubelet reports its
        running pods Ready again once its node is back; KWOK does not, so those pods would stay
        NotReady for good and every instance would be Degraded for a reason that is not the
        operator's. Only pods whose containers are ready, on a Ready node, are touched, as the
        kubelet would. A pod bound to a Ready node that never started (KWOK missed it, seen
        after etcd restarts) is deleted, so its ReplicaSet makes one KWOK sees. How many of
        both is shown in the row of the fault."""
        nodes = {
            n["metadata"]["name"]
            for n in self.items(core("nodes"), "Node")
            if invariants.condition(n, "Ready").get("status") == "True"
        }
        revived = 0
        stamp = now().strftime("%Y-%m-%dT%H:%M:%SZ")
        for namespace in {k[0] for k in self.expected}:
            for pod in self.items(core("pods", namespace), "Pod"):
                ready = invariants.condition(pod, "Ready").get("status")
                containers = invariants.condition(pod, "ContainersReady").get("status")
                running = (pod.get("status") or {}).get("phase") == "Running"
                node = (pod.get("spec") or {}).get("nodeName")
                if self._stuck_pending(pod, nodes):
                    # Bound to a Ready fake node long ago and never started: KWOK missed it
                    # (seen after etcd restarts). A kubelet would start it; a new one will be.
                    with contextlib.suppress(ApiError, OSError):
                        self.admin.delete(core("pods", namespace, pod["metadata"]["name"]))
                        revived += 1
                    continue
                if running and ready == "False" and containers == "True" and node in nodes:
                    patch = {
                        "status": {
                            "conditions": [
                                {"type": "Ready", "status": "True", "lastTransitionTime": stamp}
                            ]
                        }
                    }
                    path = core("pods", namespace, pod["metadata"]["name"]) + "/status"
                    with contextlib.suppress(ApiError, OSError):
                        self.admin.request("PATCH", path, patch, content_type=STRATEGIC)
                        revived += 1
        return revived

    @staticmethod
    def _stuck_pending(pod: Obj, nodes: set[str]) -> bool:
        status = pod.get("status") or {}
        node = (pod.get("spec") or {}).get("nodeName")
        if status.get("phase") != "Pending" or node not in nodes:
            return False
        scheduled = invariants.condition(pod, "PodScheduled")
        since = scheduled.get("lastTransitionTime")
        if scheduled.get("status") != "True" or not since:
            return False
        at = dt.datetime.fromisoformat(str(since).replace("Z", "+00:00"))
        return (now() - at).total_seconds() > STUCK_PENDING_SECONDS

    def wait_converged(
        self, timeout: float, since: float | None = None, *, stalled_ends: bool = False
    ) -> float | None:
        """Seconds from `since` (time.monotonic; default now) until converged; None if not
        within `timeout` of it (or, with `stalled_ends`, once all that waits is Stalled)."""
        started = time.monotonic() if since is None else since
        while True:
            self.operator_alive()
            if time.monotonic() > self._revive_at:
                self.revived += self.revive_pods()
                self._revive_at = time.monotonic() + 5.0
            keys = self.waiting()
            waiting = list(keys.values())
            elapsed = time.monotonic() - started
            if not waiting:
                return elapsed
            if elapsed > timeout or (stalled_ends and set(keys) <= self.stalled):
                say(f"not converged after {elapsed:.0f} s: {len(waiting)} wait, e.g. {waiting[0]}")
                return None
            time.sleep(POLL)

    def eventually(self, check: Callable[[], bool], timeout: float) -> bool:
        """Whether `check` turned true within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL)
        return True

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float) -> float:
        started = time.monotonic()
        while not check():
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{what}: not after {timeout:.0f} s\n{self.operator.tail(30)}")
            time.sleep(POLL)
        return time.monotonic() - started

    def recover(
        self, result: FaultResult, asked: dict[Key, int], *, since: float, bound: float
    ) -> float | None:
        """Wait for convergence after a fault that ended at `since`: within `bound` seconds,
        else the changes not reflected by then are lost, and the wait goes on for the
        configured overrun to measure the late recovery (the operator is restarted after
        that, so later faults find it working, and the row says so)."""
        revived = self.revived
        took = self.wait_converged(bound, since=since)
        if took is None:
            result.lost += self.lost(asked)
            result.violate(
                [Violation("recovery", "workload", f"not converged {bound:.0f} s after the fault")]
            )
            ended = now() - dt.timedelta(seconds=time.monotonic() - since)
            self.check(result, ready_deadline=bound, since=ended)
            late = self.wait_converged(bound + self.config.overrun, since=since, stalled_ends=True)
            if late is None:
                stuck = set(self.waiting()) & self.stalled
                self.write_off(result, sorted(stuck))
                if self.waiting():
                    result.notes.append(
                        f"not recovered after {bound + self.config.overrun:.0f} s: "
                        "operator restarted"
                    )
                    self.restart_operator()
                    self.wait_converged(bound, since=time.monotonic())
            else:
                result.notes.append(f"recovered late, after {late:.0f} s")
                took = late
        else:
            result.lost += self.lost(asked)
        if took is not None:
            result.recoveries.append(took)
        if self.revived > revived:
            result.notes.append(f"{self.revived - revived} pods set Ready again or replaced (KWOK)")
        return took

    def operator_log_findings(self) -> list[str]:
        """What went wrong in the operators' logs, most frequent first: the exception that
        ends each traceback, error lines, and reconciles that failed (numbers blanked)."""
        counts: dict[str, int] = {}
        logs = [self.operator.log, *(p.log for p in self.extra_operators)]
        for path in logs:
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                text = line.strip()
                if not (
                    EXCEPTION_LINE.match(text)
                    or re.search(r"\b(ERROR|CRITICAL)\b", text)
                    or "failed (attempt" in text
                ):
                    continue
                text = re.sub(r"\b\d+(\.\d+)?\b", "N", text)[:180]
                counts[text] = counts.get(text, 0) + 1
        return [f"{n} x {t}" for t, n in sorted(counts.items(), key=lambda i: -i[1])]


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Disconnected)\b:? ")


def deployment_at(deploy: Obj, replicas: int) -> bool:
    spec, status = deploy.get("spec") or {}, deploy.get("status") or {}
    generation = int((deploy.get("metadata") or {}).get("generation") or 0)
    return (
        spec.get("replicas") == replicas
        and int(status.get("observedGeneration") or 0) >= generation
        and status.get("availableReplicas", 0) == replicas
        and status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
    )
