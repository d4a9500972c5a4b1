"""Start, stop and inspect one local control plane living in one folder.

The folder holds everything of the cluster: PKI, etcd data, logs, the admin kubeconfig and a
`state.json` naming each component's process id and port. Processes are started in their own
session, listen on 127.0.0.1 only, on free ports, and are stopped by process id (checked against
the command line, so a reused pid is never killed). Two folders are two independent clusters.
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

from it4it_operator.devcluster import pki, tools

KWOK_STAGES = Path(__file__).with_name("kwok")
FAKE_NODES = 2
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
    """One control plane in `directory`; `up()` is idempotent, `down()` leaves no process."""

    directory: Path
    nodes: int = FAKE_NODES
    ports: dict[str, int] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)

    # -- paths -------------------------------------------------------------------------------
    @property
    def kubeconfig(self) -> Path:
        return self.directory / "kubeconfig"

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

    def _save(self) -> None:
        self._state.write_text(json.dumps({"ports": self.ports, "pids": self.pids}, indent=2))

    def status(self) -> dict[str, bool]:
        """Which components run now (by pid and command line)."""
        self.load()
        return {c: c in self.pids and _alive(self.pids[c], c) for c in COMPONENTS}

    def running(self) -> bool:
        return all(self.status().values())

    # -- kubeconfig --------------------------------------------------------------------------
    def write_kubeconfig(self, user: str, path: Path) -> Path:
        cert, key = self._pki.client(user)
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
                    "users": [
                        {
                            "name": user,
                            "user": {"client-certificate": str(cert), "client-key": str(key)},
                        }
                    ],
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

    def _create_nodes(self) -> None:
        docs = [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": f"kwok-node-{i}",
                    "annotations": {
                        "kwok.x-k8s.io/node": "fake",
                        "node.alpha.kubernetes.io/ttl": "0",
                    },
                    "labels": {
                        "type": "kwok",
                        "kubernetes.io/role": "agent",
                        "kubernetes.io/hostname": f"kwok-node-{i}",
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                    },
                },
                "status": {
                    "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                    "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                },
            }
            for i in range(self.nodes)
        ]
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
        """Start every component (reusing a running cluster in the same folder)."""
        self.load()
        if self.pids and self.running():
            return self
        self.down()
        tools.ensure()
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self._pki.ca_cert.exists():
            pki.create(self._pki.directory)
        self.ports = {n: free_port() for n in (*COMPONENTS, "etcd-peer")}
        self.pids = {}
        self._save()
        self.write_kubeconfig("admin", self.kubeconfig)
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
