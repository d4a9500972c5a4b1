"""The checkers the GitOps and monitoring tests run, built once from their Go modules.

`kstatus` (a small main over `sigs.k8s.io/cli-utils/pkg/kstatus/status`, the library Flux,
kpt and `kubectl wait`-style tools compute readiness with) shows that our conditions mean to
them what they mean to us; `promtool` (`github.com/prometheus/prometheus/cmd/promtool`) checks
and unit-tests the PrometheusRule. `build-check-tools.sh` (beside this file) compiles each in a
throwaway Go module into the cache of `tools.cache_root()`, keyed by version, as the control
plane is built; nothing is written into the repository.

`python -m it4it_operator.devcluster.checktools [kstatus] [promtool]` builds what is missing
(`make check-tools`) and prints each binary with how long its build took.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from it4it_operator.devcluster import tools

KSTATUS_VERSION = os.environ.get("KSTATUS_VERSION", "0.37.2")
"""sigs.k8s.io/cli-utils, which holds kstatus."""
PROMETHEUS_VERSION = os.environ.get("PROMETHEUS_VERSION", "0.316.0")
"""The Go module tag of github.com/prometheus/prometheus (v0.316.0 is Prometheus 3.16.0)."""
BUILD_SCRIPT = Path(__file__).with_name("build-check-tools.sh")
NAMES = ("kstatus", "promtool")


def binary(name: str) -> Path:
    """Where the binary `name` is (or will be) in the cache."""
    if name == "kstatus":
        return tools.cache_root() / f"kstatus-v{KSTATUS_VERSION}" / "bin" / "kstatus"
    if name == "promtool":
        return tools.cache_root() / f"promtool-v{PROMETHEUS_VERSION}" / "bin" / "promtool"
    raise ValueError(f"unknown check tool {name!r}; known: {', '.join(NAMES)}")


class BuildError(RuntimeError):
    """A check tool could not be built (no Go on PATH, or the build failed)."""


def ensure(name: str) -> Path:
    """The binary `name`, built first when it is not in the cache; BuildError when it cannot."""
    path = binary(name)
    if path.is_file():
        return path
    if not shutil.which("go"):
        raise BuildError(f"{name}: Go is needed on PATH to build it once")
    tools.log(f"building {name} from its Go module into {path.parent} (once)")
    env = {
        **os.environ,
        "KSTATUS_VERSION": KSTATUS_VERSION,
        "PROMETHEUS_VERSION": PROMETHEUS_VERSION,
        "IT4IT_CACHE": str(tools.cache_root()),
    }
    done = subprocess.run(
        ["bash", str(BUILD_SCRIPT), name], env=env, stdout=subprocess.DEVNULL, check=False
    )
    if done.returncode != 0 or not path.is_file():
        raise BuildError(f"{name}: build-check-tools.sh exited {done.returncode}")
    return path


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(NAMES)
    for name in names:
        started = time.monotonic()
        cached = binary(name).is_file()
        try:
            path = ensure(name)
        except BuildError as exc:
            print(exc, file=sys.stderr)
            return 1
        took = "cached" if cached else f"built in {time.monotonic() - started:.0f} s"
        print(f"{name}: {path} ({took})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
