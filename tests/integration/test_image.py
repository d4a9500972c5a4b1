"""The operator image proven, not assumed: its entrypoint runs as the chart's ServiceAccount,
with exactly the chart's RBAC, and brings the samples walkthrough to Ready.

No container runtime is needed: the image (from dist/, built by `make image` when missing,
2.5 to 10 minutes by the load of the machine) is pulled into buildah's storage from
the OCI archive itself, a working container's root filesystem is mounted with `buildah mount`,
and the entrypoint runs in it with the image's own environment, in a private mount namespace
(`unshare --mount`), as a pod would: the root read-only, /tmp a writable folder (the chart's
emptyDir), the ServiceAccount's namespace where the kubelet mounts it, uid 65532, the host's
network (the API server on 127.0.0.1). The chart is installed with `helm install` on a fresh
control plane with its Deployment disabled (KWOK would not run it); the arguments and
environment come from the chart's rendered Deployment, only the listening address moved from
0.0.0.0 to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from it4it_operator.devcluster import LocalCluster
from it4it_operator.devcluster.cluster import free_port
from support.chart import (
    CHART,
    RELEASE,
    ROOT,
    SAMPLES,
    SYSTEM_NAMESPACE,
    fresh_cluster,
    helm,
    token_kubeconfig,
)

pytestmark = pytest.mark.cluster

VERSION = "0.1.0"
REFERENCE = f"ghcr.io/it4it-operator/it4it-operator:{VERSION}"
ARCHIVE = ROOT / "dist" / f"it4it-operator-{VERSION}.oci.tar"
UID = 65532
SA_DIR = "/run/secrets/kubernetes.io/serviceaccount"  # /var/run is /run in Debian

# Inside the new mount namespace: the container's root read-only, then what a pod has mounted.
ENTER = r"""
set -eu
root=$1 tmp=$2 sa=$3; shift 3
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount --bind "$tmp" "$root/tmp"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o size=1m tmpfs "$root/run"
mkdir -p "$root/run/secrets/kubernetes.io/serviceaccount"
mount --bind -o ro "$sa" "$root/run/secrets/kubernetes.io/serviceaccount"
exec chroot --userspec=65532:65532 "$root" "$@"
"""


def run(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, text=True, capture_output=True, check=True, **kwargs)


@pytest.fixture(scope="module")
def image() -> dict[str, Any]:
    """The image of dist/'s archive in buildah's storage; its OCI config."""
    if not shutil.which("buildah") or not shutil.which("unshare"):
        pytest.skip(
            "runs the image without a container runtime through buildah: "
            "apt-get install buildah mmdebstrap (Debian), then make image"
        )
    head = run("git", "rev-parse", "HEAD", cwd=ROOT).stdout.strip()
    if not ARCHIVE.exists() or stale(load()):
        build()
    config = load()
    assert revision(config) == head, "make image labelled another revision"
    return config


def build() -> None:
    """`make image`: 2.5 minutes on a quiet machine, up to 10 when busy (images/README.md)."""
    started = time.monotonic()
    built = subprocess.run(["make", "image"], cwd=ROOT, text=True, capture_output=True, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    print(f"make image took {time.monotonic() - started:.0f}s")


def load() -> dict[str, Any]:
    """The archive pulled as podman load reads it (containers/image), by both the names it
    carries (OCI index and docker manifest.json); the image's OCI config."""
    run("buildah", "pull", "--quiet", f"oci-archive:{ARCHIVE}")
    run("buildah", "pull", "--quiet", f"docker-archive:{ARCHIVE}")
    inspected = json.loads(run("buildah", "inspect", "--type", "image", REFERENCE).stdout)
    return dict(inspected["OCIv1"])


def stale(config: dict[str, Any]) -> bool:
    """Whether what goes into the image changed since the commit it was built from."""
    inputs = ("operator", "pyproject.toml", "requirements/lock.txt", "Containerfile")
    changed = subprocess.run(
        ["git", "diff", "--quiet", revision(config), "--", *inputs], cwd=ROOT, check=False
    )
    return changed.returncode != 0


def revision(config: dict[str, Any]) -> str:
    """The commit the image was built from (a dirty tree's image counts as its commit's)."""
    label = config["config"]["Labels"]["org.opencontainers.image.revision"]
    return str(label).removesuffix("-dirty")


@pytest.fixture(scope="module")
def rootfs(image: dict[str, Any]) -> Iterator[Path]:
    container = run("buildah", "from", "--quiet", "--pull=never", REFERENCE).stdout.strip()
    try:
        yield Path(run("buildah", "mount", container).stdout.strip())
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True, check=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Fresh, so the image's operator is the only one reconciling the samples."""
    with fresh_cluster(tmp_path_factory.mktemp("image-cluster")) as fresh:
        yield fresh


def ready(cluster: LocalCluster) -> bool:
    found = cluster.kubectl("get", "sub", "my-guestbook", "-n", "shop", "-o", "json", check=False)
    if found.returncode != 0:
        return False
    conditions = json.loads(found.stdout).get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def deployment_of_the_chart(*values: str) -> dict[str, Any]:
    rendered = helm(
        None,
        "template",
        RELEASE,
        str(CHART),
        "-n",
        SYSTEM_NAMESPACE,
        "--show-only",
        "templates/deployment.yaml",
        *values,
    ).stdout
    return dict(yaml.safe_load(rendered))


def test_the_image_is_labelled_and_runs_as_its_user(image: dict[str, Any]) -> None:
    config = image["config"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.source"].startswith("https://")
    assert len(labels["org.opencontainers.image.revision"].removesuffix("-dirty")) == 40
    assert config["User"] == f"{UID}:{UID}"
    assert config["Entrypoint"] == ["/opt/it4it/bin/it4it", "run"]
    env = dict(e.split("=", 1) for e in config["Env"])
    assert env["HOME"] == "/tmp" and env["TMPDIR"] == "/tmp"


@dataclass
class Pod:
    """What a pod of the chart's Deployment gets, set up on this host: the chart installed
    (Deployment disabled), the container's args and env as the chart renders them, a token of
    its ServiceAccount in /tmp/kubeconfig, the ServiceAccount's namespace file."""

    command: list[str]
    """Enters the container's root as the pod would; the program and its args follow."""
    args: list[str]
    """The args of `it4it run` in the chart's Deployment."""
    scratch: Path
    health: int
    metrics: int

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.command, *command], capture_output=True, text=True, check=False
        )


@pytest.fixture(scope="module")
def pod(
    cluster: LocalCluster,
    image: dict[str, Any],
    rootfs: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Pod:
    health, metrics = free_port(), free_port()
    values = ("--set", f"healthPort={health}", "--set", f"metricsPort={metrics}")
    helm(
        cluster.kubeconfig,
        "install",
        RELEASE,
        str(CHART),
        "-n",
        SYSTEM_NAMESPACE,
        "--create-namespace",
        "--set",
        "deployment.enabled=false",
        *values,
        "--wait",
    )
    assert cluster.kubectl("get", "deployment", "-n", SYSTEM_NAMESPACE, "-o", "name").stdout == ""

    spec = deployment_of_the_chart(*values)["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["command"][:2] == ["it4it", "run"]  # the image's entrypoint
    args = [a.replace("0.0.0.0", "127.0.0.1") for a in container["command"][2:]]
    folder = tmp_path_factory.mktemp("pod")
    scratch, secrets = folder / "tmp", folder / "serviceaccount"  # the emptyDir on /tmp
    scratch.mkdir()
    secrets.mkdir()
    token_kubeconfig(cluster, spec["serviceAccountName"], SYSTEM_NAMESPACE, scratch / "kubeconfig")
    (secrets / "namespace").write_text(SYSTEM_NAMESPACE)
    for path in (scratch, scratch / "kubeconfig", secrets, secrets / "namespace"):
        os.chown(path, UID, UID)
    env = {
        **dict(e.split("=", 1) for e in image["config"]["Env"]),
        **{e["name"]: e["value"] for e in container["env"] if "value" in e},
        "POD_ID": "it4it-operator-image-test",
        "KUBECONFIG": "/tmp/kubeconfig",
        "IT4IT_METRICS_ADDRESS": "127.0.0.1",
    }
    command = ["unshare", "--mount", "sh", "-c", ENTER, "enter"]
    command += [str(rootfs), str(scratch), str(secrets), "env", "-i"]
    command += [f"{k}={v}" for k, v in env.items()]
    return Pod(command, args, scratch, health, metrics)


def test_only_tmp_is_writable_and_by_the_images_user(pod: Pod, rootfs: Path) -> None:
    tried = pod.run("sh", "-c", "id -u; touch /tmp/probe; touch /opt/it4it/probe")
    assert tried.stdout.split() == [str(UID)], tried.stdout + tried.stderr
    assert "Read-only file system" in tried.stderr, tried.stderr
    assert (pod.scratch / "probe").exists()
    assert not (rootfs / "opt" / "it4it" / "probe").exists()


def apply_settled(cluster: LocalCluster, sample: Path, seconds: float = 30.0) -> None:
    """`kubectl apply` of a sample right after `helm install`: the CRDs and admission policies
    the chart just created may take a moment to be served; retried until then, else the API
    server's answer is the failure."""
    deadline = time.monotonic() + seconds
    while (done := cluster.kubectl("apply", "-f", str(sample), check=False)).returncode:
        assert time.monotonic() < deadline, f"{sample.name} refused: {done.stderr}"
        time.sleep(1)


def test_the_image_reconciles_the_samples_with_the_charts_rbac_only(
    cluster: LocalCluster, image: dict[str, Any], pod: Pod, tmp_path: Path
) -> None:
    entrypoint = image["config"]["Entrypoint"]
    log = tmp_path / "operator.log"
    with log.open("wb") as out:
        operator = subprocess.Popen(
            [*pod.command, *entrypoint, *pod.args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={"PATH": os.environ["PATH"]},
            start_new_session=True,
        )
    tail = lambda: "\n".join(log.read_text(errors="replace").splitlines()[-40:])  # noqa: E731
    try:
        for sample in sorted(SAMPLES.glob("*.yaml")):
            if "approval" not in sample.name and "incident" not in sample.name:
                apply_settled(cluster, sample)
        deadline = time.monotonic() + 240
        while not ready(cluster):
            assert operator.poll() is None, f"the operator stopped:\n{tail()}"
            assert time.monotonic() < deadline, f"my-guestbook not Ready in 240s:\n{tail()}"
            time.sleep(1)
        status = json.loads(
            cluster.kubectl("get", "sub", "my-guestbook", "-n", "shop", "-o", "json").stdout
        )["status"]
        assert status["contract"]["releaseVersion"] == "1.1.0"
        deployed = json.loads(cluster.kubectl("get", "deploy", "-n", "shop", "-o", "json").stdout)
        assert [d["status"].get("readyReplicas") for d in deployed["items"]] == [3]
        # Leader election on the chart's Lease, held by this "pod".
        lease = json.loads(
            cluster.kubectl("get", "lease", RELEASE, "-n", SYSTEM_NAMESPACE, "-o", "json").stdout
        )
        assert lease["spec"]["holderIdentity"] == "it4it-operator-image-test"
        # The probe and the metrics the chart's Deployment points at answer.
        with urllib.request.urlopen(f"http://127.0.0.1:{pod.health}/healthz", timeout=10) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{pod.metrics}/metrics", timeout=10) as r:
            assert b"it4it_reconcile_total" in r.read()
        # Read-only root: nothing tried to write outside /tmp.
        assert "Read-only file system" not in log.read_text(errors="replace"), tail()
    finally:
        if operator.poll() is None:
            os.killpg(operator.pid, 15)
            try:
                operator.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(operator.pid, 9)
                operator.wait(10)
    assert operator.returncode in (0, -15), tail()
