"""Chart archives for the Helm renderer: found in a repository, verified, cached by digest.

A ProductRelease pins its chart by the sha256 of the archive (`spec.chart.digest`), the way it
pins images, so what was accepted is exactly what is deployed. This module gets that archive:
from an HTTP(S) chart repository (its `index.yaml` maps name and version to the archive's URL)
or from an OCI registry (`helm pull`). The bytes are checked against the digest before anything
reads them as a chart; a mismatch is refused, never rendered and never cached.

Verified archives are kept in a directory named by digest (`IT4IT_CHART_CACHE`, else
`$XDG_CACHE_HOME/it4it-operator/charts` or `~/.cache/...`, else the temporary directory), so a
running instance keeps being planned while its repository is down, and a cache hit makes no
network request. Every step runs against one `Deadline`: rendering happens inside a reconcile
worker, which must not hang on a slow repository.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from it4it_operator.plugins.interfaces import RenderError

DIGEST_MISMATCH = "ChartDigestMismatch"
UNAVAILABLE = "ChartUnavailable"
NOT_FOUND = "ChartNotFound"
TIMED_OUT = "RenderTimedOut"

UNAVAILABLE_RETRY = 30.0
"""Seconds before a repository that could not be reached is asked again."""
NOT_FOUND_RETRY = 120.0
"""Seconds before an index without the chart version is read again (it may be published)."""
MAX_INDEX_BYTES = 64 << 20
MAX_ARCHIVE_BYTES = 32 << 20
_CHUNK = 1 << 16
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ChartRef:
    """spec.chart of a ProductRelease: where the chart is and which archive it must be."""

    repository: str
    name: str
    version: str
    digest: str

    @classmethod
    def of(cls, chart: Mapping[str, Any]) -> ChartRef:
        missing = [f for f in ("repository", "name", "version", "digest") if not chart.get(f)]
        if missing:
            raise RenderError([f"spec.chart.{missing[0]} is missing"])
        return cls(
            str(chart["repository"]).rstrip("/"),
            str(chart["name"]),
            str(chart["version"]),
            str(chart["digest"]),
        )

    @property
    def oci(self) -> bool:
        return self.repository.startswith("oci://")

    def __str__(self) -> str:
        return f"chart {self.name} {self.version} from {self.repository}"


class Deadline:
    """The time one render may take, shared by every request and process it runs."""

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds = seconds
        self.what = what
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; RenderError (RenderTimedOut, retried) once there are none."""
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            raise self.expired()
        return remaining

    def expired(self) -> RenderError:
        return RenderError(
            [f"rendering {self.what} did not finish within {self.seconds:.0f}s"],
            reason=TIMED_OUT,
            retry_seconds=UNAVAILABLE_RETRY,
        )


def default_cache_dir() -> Path:
    """IT4IT_CHART_CACHE, else the user cache, else the temporary directory if that is
    read-only (as in the operator's image, whose only writable place is /tmp)."""
    if env := os.environ.get("IT4IT_CHART_CACHE"):
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    preferred = base / "it4it-operator" / "charts"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return preferred
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "it4it-operator-charts"


def sha256_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _unavailable(ref: ChartRef, detail: str) -> RenderError:
    return RenderError(
        [f"{ref} is unavailable: {detail}; retrying in {UNAVAILABLE_RETRY:.0f}s"],
        reason=UNAVAILABLE,
        retry_seconds=UNAVAILABLE_RETRY,
    )


def _download(url: str, ref: ChartRef, deadline: Deadline, limit: int) -> bytes:
    """The body at `url` (http or https only), read against the deadline and a size limit."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise _unavailable(ref, f"{url} is not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": "it4it-operator"})
    try:
        with urllib.request.urlopen(request, timeout=deadline.left()) as response:
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _unavailable(ref, f"{url} is larger than {limit >> 20} MiB")
                chunks.append(chunk)
                deadline.left()
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        raise _unavailable(ref, f"GET {url} answered {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise _unavailable(ref, f"GET {url} failed: {exc.reason}") from exc
    except TimeoutError as exc:
        raise deadline.expired() from exc
    except OSError as exc:
        raise _unavailable(ref, f"GET {url} failed: {exc}") from exc


def archive_url(index: Any, ref: ChartRef) -> str:
    """The absolute URL of the chart version's archive in a repository's parsed index.yaml;
    RenderError (ChartNotFound) when the index has no such chart or version."""
    entries = index.get("entries") if isinstance(index, Mapping) else None
    versions = entries.get(ref.name) if isinstance(entries, Mapping) else None
    if not isinstance(versions, list) or not versions:
        raise RenderError(
            [f"chart {ref.name} is not in the index of {ref.repository}"],
            reason=NOT_FOUND,
            retry_seconds=NOT_FOUND_RETRY,
        )
    wanted = ref.version.removeprefix("v")
    for entry in versions:
        if not isinstance(entry, Mapping):
            continue
        if str(entry.get("version", "")).removeprefix("v") == wanted and entry.get("urls"):
            return urllib.parse.urljoin(ref.repository + "/", str(entry["urls"][0]))
    known = [str(e.get("version")) for e in versions if isinstance(e, Mapping)]
    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
    raise RenderError(
        [
            f"chart {ref.name} has no version {ref.version} in the index of {ref.repository}"
            f" (versions: {shown or 'none'})"
        ],
        reason=NOT_FOUND,
        retry_seconds=NOT_FOUND_RETRY,
    )


def _from_http(ref: ChartRef, deadline: Deadline) -> tuple[bytes, str]:
    index_url = ref.repository + "/index.yaml"
    text = _download(index_url, ref, deadline, MAX_INDEX_BYTES)
    try:
        index = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _unavailable(ref, f"{index_url} is not a chart repository index ({exc})") from exc
    url = archive_url(index, ref)
    return _download(url, ref, deadline, MAX_ARCHIVE_BYTES), url


def _from_oci(ref: ChartRef, deadline: Deadline, helm: list[str]) -> tuple[bytes, str]:
    where = f"{ref.repository}/{ref.name}"
    with tempfile.TemporaryDirectory(prefix="it4it-pull-") as scratch:
        command = [*helm, "pull", where, "--version", ref.version, "--destination", scratch]
        done = run_helm(
            command,
            Path(scratch),
            deadline,
            lambda exc: _unavailable(ref, f"helm could not be run ({exc})"),
        )
        if done.returncode != 0:
            said = first_lines(done.stderr)
            if "not found" in said.lower():
                raise RenderError(
                    [f"{ref}: helm pull found no such chart version: {said}"],
                    reason=NOT_FOUND,
                    retry_seconds=NOT_FOUND_RETRY,
                )
            raise _unavailable(ref, f"helm pull failed: {said}")
        archives = sorted(Path(scratch).glob("*.tgz"))
        if not archives:
            raise _unavailable(ref, "helm pull wrote no chart archive")
        return archives[0].read_bytes(), where


def run_helm(
    command: list[str],
    scratch: Path,
    deadline: Deadline,
    unable: Callable[[OSError], RenderError],
) -> subprocess.CompletedProcess[str]:
    """Run a helm command with its home in `scratch`, within the deadline; `unable` says what
    it means when helm cannot be started at all."""
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=deadline.left(),
            env=helm_env(scratch),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise deadline.expired() from exc
    except OSError as exc:
        raise unable(exc) from exc


def first_lines(text: str, count: int = 3) -> str:
    """The first non-empty lines of a tool's stderr, joined: enough to say what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " / ".join(lines[:count]) or "(no output)"


def helm_env(home: Path) -> dict[str, str]:
    """The environment helm runs in: its caches and configuration in `home` (writable, thrown
    away), no kubeconfig, and the proxy settings of the operator's own environment."""
    env = {
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "KUBECONFIG": os.devnull,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    for name, value in os.environ.items():
        if name.lower() in ("http_proxy", "https_proxy", "no_proxy"):
            env[name] = value
    return env


class ChartCache:
    """Verified chart archives in a directory, one file per digest."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory

    @property
    def directory(self) -> Path:
        return self._directory or default_cache_dir()

    def path(self, digest: str) -> Path:
        return self.directory / f"{digest.removeprefix('sha256:')}.tgz"

    def cached(self, digest: str) -> Path | None:
        """The archive of `digest` if the cache holds it intact (a damaged one is removed)."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if sha256_of(data) == digest:
            return path
        path.unlink(missing_ok=True)
        return None

    def store(self, digest: str, data: bytes) -> Path:
        """Write a verified archive atomically (reconcile workers may race on one chart)."""
        path = self.path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
        return path

    def fetch(self, ref: ChartRef, deadline: Deadline, helm: list[str]) -> Path:
        """The verified archive of `ref`: from the cache, else fetched, checked and stored."""
        if (hit := self.cached(ref.digest)) is not None:
            return hit
        data, source = _from_oci(ref, deadline, helm) if ref.oci else _from_http(ref, deadline)
        got = sha256_of(data)
        if got != ref.digest:
            raise RenderError(
                [
                    f"the archive of chart {ref.name} {ref.version} ({source}) has digest {got}, "
                    f"but spec.chart.digest expects {ref.digest}; it was not rendered"
                ],
                reason=DIGEST_MISMATCH,
            )
        try:
            return self.store(ref.digest, data)
        except OSError as exc:
            raise RenderError(
                [
                    f"the chart cache {self.directory} cannot be written ({exc.strerror}); "
                    "point IT4IT_CHART_CACHE at a writable directory"
                ]
            ) from exc
