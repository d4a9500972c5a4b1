"""Start, stop and inspect one local control plane living in one folder.

The folder holds everything of the cluster: PKI, etcd data, logs (with the audit log of the
operator's user, see `audit.py`), the admin and operator kubeconfigs and a `state.json` naming
each component's process id and port. Processes are started in their own session, listen on
127.0.0.1 only, on free ports, and are stopped by process id (checked against the command line,
so a reused pid is never killed). Two folders are two independent clusters.

Fake capacity is `nodes` KWOK nodes of `pods_per_node` pods each (default 4 x 1000, or
$IT4IT_DEV_NODES / $IT4IT_DEV_PODS_PER_NODE), enough for benchmarks that keep thousands of pods.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from it4it_operator.devcluster import audit, pki, tools

KWOK_STAGES = Path(__file__).with_name("kwok")
DEFAULT_NODES = 4
DEFAULT_PODS_PER_NODE = 1000
# Client-side rate limits of kube-controller-manager and kube-scheduler (their defaults are
# 20/30 and 50/100 requests per second): raised so a burst of a thousand Deployments is limited
# by the machine, not by the controllers' own throttles.
CLIENT_QPS, CLIENT_BURST = 500, 1000
SERVICE_CIDR = "10.0.0.0/24"
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int, binary: str) -> bool:
    """Whether `pid` is a live process of `binary`, by /proc/PID/status: its Name (comm, which
    unlike cmdline stays readable while the process exits) and its threads. A zombie leader
    whose other threads still run counts as alive: they may still hold its listening ports."""
    try:
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
    except (OSError, ValueError):
        return False
    if status.get("Name", "").strip() != Path(binary).name[:15]:
        return False
    zombie = status.get("State", "").strip()[:1] in ("Z", "X")
    return not zombie or int(status.get("Threads", "1")) > 1


def _env_count(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _default_nodes() -> int:
    return _env_count("IT4IT_DEV_NODES", DEFAULT_NODES)


def _default_pods_per_node() -> int:
    return _env_count("IT4IT_DEV_PODS_PER_NODE", DEFAULT_PODS_PER_NODE)


def client_rate_flags() -> list[str]:
    """--kube-api-qps/--kube-api-burst for kube-controller-manager and kube-scheduler."""
    return [f"--kube-api-qps={CLIENT_QPS}", f"--kube-api-burst={CLIENT_BURST}"]


def _wait(what: str, check: Callable[[], bool], timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.25)
    tail = ""
    if log and log.exists():
        tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s{tail}")


@dataclass
class LocalCluster:
    """One control plane in `directory`; `up()` is idempotent, `down()` leaves no process.

    `nodes` fake nodes (named kwok-node-0...) of `pods_per_node` allocatable pods each; both
    default to $IT4IT_DEV_NODES / $IT4IT_DEV_PODS_PER_NODE, else 4 and 1000."""

    directory: Path
    nodes: int = field(default_factory=_default_nodes)
    pods_per_node: int = field(default_factory=_default_pods_per_node)
    audited_users: tuple[str, ...] = (audit.OPERATOR_USER, audit.OPERATOR_SERVICE_ACCOUNT)
    """Whose requests the API server's audit log records (written when it starts)."""
    ports: dict[str, int] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.nodes < 1 or self.pods_per_node < 1:
            raise ValueError(
                f"nodes and pods_per_node must be >= 1, not {self.nodes}, {self.pods_per_node}"
            )

    # -- paths -------------------------------------------------------------------------------
    @property
    def kubeconfig(self) -> Path:
        """The admin's kubeconfig (system:masters; not audited)."""
        return self.directory / "kubeconfig"

    @property
    def operator_kubeconfig(self) -> Path:
        """The operator's kubeconfig: user it4it-operator in system:masters, whose every request
        the audit log records (written by `up()`)."""
        return self.directory / "operator.kubeconfig"

    @property
    def audit_log(self) -> Path:
        """The API server's audit log (JSON lines; read it with `audit.read_audit`)."""
        return self._log("audit")

    @property
    def _audit_policy(self) -> Path:
        return self.directory / "audit-policy.json"

    @property
    def _state(self) -> Path:
        return self.directory / "state.json"

    def _log(self, name: str) -> Path:
        return self.directory / "logs" / f"{name}.log"

    @property
    def _pki(self) -> pki.Pki:
        return pki.Pki(self.directory / "pki")

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.ports['kube-apiserver']}"

    # -- state -------------------------------------------------------------------------------
    def load(self) -> LocalCluster:
        if self._state.exists():
            data = json.loads(self._state.read_text())
            self.ports, self.pids = data["ports"], data["pids"]
        return self

    def _adopt_size(self) -> None:
        """Take the size of the running cluster (of state.json), noting when it differs."""
        data = json.loads(self._state.read_text())
        size = (int(data.get("nodes") or self.nodes), int(data.get("pods_per_node") or 0))
        if size[1] and size != (self.nodes, self.pods_per_node):
            tools.log(
                f"reusing the running cluster of {size[0]} nodes x {size[1]} pods, not "
                f"{self.nodes} x {self.pods_per_node}: `it4it cluster down` first to resize it"
            )
            self.nodes, self.pods_per_node = size

    def _save(self) -> None:
        state = {
            "ports": self.ports,
            "pids": self.pids,
            "nodes": self.nodes,
            "pods_per_node": self.pods_per_node,
        }
        self._state.write_text(json.dumps(state, indent=2))

    def status(self) -> dict[str, bool]:
        """Which components run now (by pid and command line)."""
        self.load()
        return {c: c in self.pids and _alive(self.pids[c], c) for c in COMPONENTS}

    def running(self) -> bool:
        return all(self.status().values())

    # -- kubeconfig --------------------------------------------------------------------------
    def write_kubeconfig(self, user: str, path: Path) -> Path:
        cert, key = self._pki.client(user)
        return self._kubeconfig(
            user, {"client-certificate": str(cert), "client-key": str(key)}, path
        )

    def token_kubeconfig(self, user: str, token: str, path: Path) -> Path:
        """A kubeconfig authenticating with a bearer token (a ServiceAccount's)."""
        return self._kubeconfig(user, {"token": token}, path)

    def _kubeconfig(self, user: str, credentials: dict[str, str], path: Path) -> Path:
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "it4it-local",
                    "clusters": [
                        {
                            "name": "it4it-local",
                            "cluster": {
                                "server": self.server,
                                "certificate-authority": str(self._pki.ca_cert),
                            },
                        }
                    ],
                    "users": [{"name": user, "user": credentials}],
                    "contexts": [
                        {"name": "it4it-local", "context": {"cluster": "it4it-local", "user": user}}
                    ],
                },
                indent=2,
            )
        )
        path.chmod(0o600)
        return path

    def user_kubeconfig(self, user: str, groups: tuple[str, ...] = ()) -> Path:
        """A kubeconfig for another user (client certificate from the cluster's CA)."""
        pki.issue_client(self._pki, user, groups)
        return self.write_kubeconfig(user, self.directory / f"kubeconfig-{user}")

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        kubeconfig: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return tools.kubectl(kubeconfig or self.kubeconfig, *args, input=input, check=check)

    # -- processes ---------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str]) -> None:
        log = self._log(name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [str(tools.binary(name)), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.directory,
            )
        self.pids[name] = proc.pid
        self._save()

    def _https_ok(self, port: int, path: str, client: bool = False) -> bool:
        ctx = ssl.create_default_context(cafile=str(self._pki.ca_cert))
        if client:
            ctx.load_cert_chain(*map(str, self._pki.client("admin")))
        else:
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        try:
            with urllib.request.urlopen(
                f"https://127.0.0.1:{port}{path}", context=ctx, timeout=2
            ) as r:
                return bool(r.status == 200)
        except (OSError, ValueError):
            return False

    def _healthz(self, port: int) -> Callable[[], bool]:
        return lambda: self._https_ok(port, "/healthz")

    def _http_ok(self, port: int, path: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def _start_etcd(self) -> None:
        client, peer = self.ports["etcd"], self.ports["etcd-peer"]
        self._spawn(
            "etcd",
            [
                f"--data-dir={self.directory / 'etcd'}",
                "--name=default",
                f"--listen-client-urls=http://127.0.0.1:{client}",
                f"--advertise-client-urls=http://127.0.0.1:{client}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=default=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        _wait("etcd", lambda: self._http_ok(client, "/health"), 30, self._log("etcd"))

    def _start_apiserver(self) -> None:
        p = self._pki
        self._audit_policy.write_text(json.dumps(audit.policy(*self.audited_users), indent=2))
        self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers=http://127.0.0.1:{self.ports['etcd']}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.ports['kube-apiserver']}",
                f"--tls-cert-file={p.serving_cert}",
                f"--tls-private-key-file={p.serving_key}",
                f"--client-ca-file={p.ca_cert}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={p.sa_pub}",
                f"--service-account-signing-key-file={p.sa_key}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--authorization-mode=Node,RBAC",
                "--allow-privileged=true",
                "--endpoint-reconciler-type=none",
                # The operator's requests only (see audit.policy), written synchronously with
                # each request, so a test finds a request in the log moments after its answer.
                f"--audit-policy-file={self._audit_policy}",
                f"--audit-log-path={self.audit_log}",
                "--audit-log-mode=blocking",
                "--audit-log-maxsize=100",
                "--audit-log-maxbackup=3",
                "--v=1",
            ],
        )
        port = self.ports["kube-apiserver"]
        _wait(
            "kube-apiserver",
            lambda: self._https_ok(port, "/readyz", client=True),
            90,
            self._log("kube-apiserver"),
        )

    def _start_controllers(self) -> None:
        kc, p = str(self.kubeconfig), self._pki
        self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={kc}",
                f"--authentication-kubeconfig={kc}",
                f"--authorization-kubeconfig={kc}",
                "--bind-address=127.0.0.1",
                f"--secure-port={self.ports['kube-controller-manager']}",
                "--leader-elect=false",
                f"--service-account-private-key-file={p.sa_key}",
                f"--root-ca-file={p.ca_cert}",
                "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller",
                "--concurrent-deployment-syncs=10",
                "--concurrent-replicaset-syncs=10",
                "--concurrent-gc-syncs=20",
                *client_rate_flags(),
                "--v=1",
            ],
        )
        self._spawn(
            "kube-scheduler",
            [
                f"--kubeconfig={kc}",
                f"--authentication-kubeconfig={kc}",
                f"--authorization-kubeconfig={kc}",
                "--bind-address=127.0.0.1",
                f"--secure-port={self.ports['kube-scheduler']}",
                "--leader-elect=false",
                *client_rate_flags(),
                "--v=1",
            ],
        )
        kwok_config = self.directory / "kwok.yaml"
        stages = sorted(KWOK_STAGES.glob("*.yaml"))
        kwok_config.write_text("\n---\n".join(s.read_text() for s in stages))
        self._spawn(
            "kwok",
            [
                f"--kubeconfig={kc}",
                f"--config={kwok_config}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                f"--server-address=127.0.0.1:{self.ports['kwok']}",
                "--cidr=10.244.0.0/16",
                "--node-ip=127.0.0.1",
                # Node liveness through Leases, as a kubelet does; without them the node
                # lifecycle controller marks the fake nodes NotReady between two heartbeats.
                "--node-lease-duration-seconds=40",
            ],
        )
        for name in ("kube-controller-manager", "kube-scheduler"):
            _wait(name, self._healthz(self.ports[name]), 60, self._log(name))
        _wait("kwok", lambda: self._http_ok(self.ports["kwok"], "/healthz"), 60, self._log("kwok"))

    def _node(self, name: str) -> dict[str, object]:
        capacity = {"cpu": "32", "memory": "256Gi", "pods": str(self.pods_per_node)}
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {
                    "type": "kwok",
                    "kubernetes.io/role": "agent",
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                },
            },
            "status": {"allocatable": capacity, "capacity": capacity},
        }

    def _create_nodes(self) -> None:
        docs = [self._node(f"kwok-node-{i}") for i in range(self.nodes)]
        self.kubectl(
            "apply",
            "-f",
            "-",
            input=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}),
        )
        self.kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=60s")
        # The default namespace's ServiceAccount shows the controller-manager is working.
        _wait(
            "the default ServiceAccount",
            lambda: self.kubectl("get", "sa", "default", check=False).returncode == 0,
            60,
            self._log("kube-controller-manager"),
        )

    def up(self) -> LocalCluster:
        """Start every component, or reuse the cluster running in the same folder as it is: its
        size included (`down()` first to change that), which `nodes`/`pods_per_node` then say."""
        self.load()
        if self.pids and self.running():
            self._adopt_size()
            pki.ensure_operator(self._pki)
            self.write_kubeconfig(audit.OPERATOR_USER, self.operator_kubeconfig)
            return self
        self.down()
        tools.ensure()
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self._pki.ca_cert.exists():
            pki.create(self._pki.directory)
        self.ports = {n: free_port() for n in (*COMPONENTS, "etcd-peer")}
        self.pids = {}
        self._save()
        pki.ensure_operator(self._pki)
        self.write_kubeconfig("admin", self.kubeconfig)
        self.write_kubeconfig(audit.OPERATOR_USER, self.operator_kubeconfig)
        try:
            self._start_etcd()
            self._start_apiserver()
            self._start_controllers()
            self._create_nodes()
        except BaseException:
            self.down()
            raise
        return self

    def down(self, grace: float = 5) -> None:
        """Stop every component by process id, clients first and etcd last; each gets `grace`
        seconds after SIGTERM, then SIGKILL. Returns when none of them is left."""
        self.load()
        for name in reversed(COMPONENTS):
            pid = self.pids.get(name)
            if pid:
                _stop(pid, name, grace)
        self.pids = {}
        if self.directory.exists():
            self._save()


def _stop(pid: int, name: str, grace: float) -> None:
    for sig, patience in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        if not _alive(pid, name):
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + patience
        while _alive(pid, name) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.05)
    _reap(pid)


def _reap(pid: int) -> None:
    """Collect a child's exit status so it does not linger as a zombie of this process."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
