"""The operator as a child process against a cluster, with the CRDs it needs.

Integration tests (which kill and restart it), benchmarks (which measure it) and `make run`
(which installs the CRDs) share these, so every one of them runs the operator the same way a
user does: `it4it run` with a kubeconfig.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Protocol

from it4it_operator.api import crdgen
from it4it_operator.devcluster import audit, tools

CHART = Path(__file__).resolve().parents[3] / "charts" / "it4it-operator"
"""The Helm chart in the source tree (dev tooling: not part of an installed wheel)."""


def install_crds(kubeconfig: Path) -> None:
    """Server-side apply the CRDs generated from the API models and wait until Established."""
    generated = crdgen.generate()
    tools.kubectl(
        kubeconfig,
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        "-",
        input="\n---\n".join(generated.values()),
    )
    names = [f"crd/{name.removesuffix('.yaml')}" for name in generated]
    tools.kubectl(kubeconfig, "wait", "--for=condition=Established", *names, "--timeout=60s")


class TokenCluster(Protocol):
    kubeconfig: Path

    def token_kubeconfig(self, user: str, token: str, path: Path) -> Path: ...


def chart_identity(cluster: TokenCluster, path: Path, *, token_hours: int = 24) -> Path:
    """The operator's identity as the chart installs it: its ServiceAccount and exactly the
    chart's RBAC (rendered with `helm template`, applied), and a kubeconfig at `path` holding a
    token of that ServiceAccount. Integration tests run the operator with it."""
    namespace = audit.OPERATOR_NAMESPACE
    rendered = subprocess.run(
        [
            str(tools.binary("helm")),
            "template",
            "it4it-operator",
            str(CHART),
            "--namespace",
            namespace,
            "--show-only",
            "templates/serviceaccount.yaml",
            "--show-only",
            "templates/rbac-operator.yaml",
        ],
        text=True,
        capture_output=True,
        check=True,
    ).stdout
    admin = cluster.kubeconfig
    tools.kubectl(admin, "create", "namespace", namespace, check=False)
    tools.kubectl(admin, "apply", "-f", "-", input=rendered)
    name = audit.OPERATOR_SERVICE_ACCOUNT.rsplit(":", 1)[1]
    token = tools.kubectl(
        admin, "create", "token", name, "-n", namespace, f"--duration={token_hours}h"
    ).stdout.strip()
    return cluster.token_kubeconfig(audit.OPERATOR_SERVICE_ACCOUNT, token, path)


class OperatorProcess:
    """`it4it run` as a child process in its own session, its output kept in `log`."""

    def __init__(
        self,
        kubeconfig: Path,
        log: Path,
        env: dict[str, str] | None = None,
        user: str = audit.OPERATOR_USER,
        *,
        verbose: bool = True,
    ) -> None:
        self.kubeconfig, self.log, self.env = kubeconfig, log, dict(env or {})
        self.user = user
        """Whom the API server sees (what its audit log is read for)."""
        self.verbose = verbose
        """Debug logging (tests read it when they fail); off, it runs as the chart runs it."""
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), **self.env}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "it4it_operator.cli", "run"]
                + (["--verbose"] if self.verbose else []),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        """The operator's process id (0 before it started)."""
        return self.proc.pid if self.proc else 0

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as when a node dies."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_bytes(self) -> int:
        """Resident memory of the operator process now (0 when it is not running)."""
        if not self.proc or self.proc.poll() is not None:
            return 0
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
