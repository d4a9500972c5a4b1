"""A small Helm chart and a chart repository on 127.0.0.1, for the Helm renderer's tests.

`write_chart` lays out a chart (a ConfigMap and a Deployment using `.Values.replicas` and
`.Values.image`), `package` makes its archive without helm (a gzipped tar, as `helm package`
writes), `write_index` the repository's index.yaml, and `ChartRepository` serves a directory
over HTTP on a free port and counts the requests it answered (a cache hit must make none).
"""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from pathlib import Path
from typing import Any

import yaml

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels:
    app.kubernetes.io/name: {{ .Chart.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}-web
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}-web
    spec:
      containers:
        - name: web
          image: {{ .Values.image | quote }}
          env:
            - name: GREETING
              valueFrom:
                configMapKeyRef:
                  name: {{ .Release.Name }}-config
                  key: greeting
"""

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: {{ .Values.greeting | quote }}
  namespace: {{ .Release.Namespace | quote }}
"""

TEST_HOOK = """\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    helm.sh/hook: test
spec:
  restartPolicy: Never
  containers:
    - name: wget
      image: busybox
"""


def write_chart(parent: Path, name: str = "guestbook", version: str = "1.2.3") -> Path:
    """A chart directory `parent/name` with defaults replicas 1, greeting hello."""
    chart = parent / name
    (chart / "templates" / "tests").mkdir(parents=True)
    chart_yaml = {"apiVersion": "v2", "name": name, "version": version, "appVersion": version}
    (chart / "Chart.yaml").write_text(yaml.safe_dump(chart_yaml))
    (chart / "values.yaml").write_text(
        yaml.safe_dump({"replicas": 1, "image": "nginx", "greeting": "hello"})
    )
    (chart / "templates" / "deployment.yaml").write_text(DEPLOYMENT)
    (chart / "templates" / "configmap.yaml").write_text(CONFIG_MAP)
    (chart / "templates" / "tests" / "test-connection.yaml").write_text(TEST_HOOK)
    return chart


def package(chart: Path, out: Path, *, extra: dict[str, str] | None = None) -> Path:
    """The chart's archive `out/NAME-VERSION.tgz` (files under NAME/, as helm packages them);
    `extra` adds or replaces files by their path inside the chart."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    files = {str(p.relative_to(chart)): p.read_bytes() for p in chart.rglob("*") if p.is_file()}
    files.update({k: v.encode() for k, v in (extra or {}).items()})
    out.mkdir(parents=True, exist_ok=True)
    archive = out / f"{meta['name']}-{meta['version']}.tgz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{meta['name']}/{path}")
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    archive.write_bytes(buffer.getvalue())
    return archive


def digest_of(archive: Path) -> str:
    return "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()


def write_index(directory: Path, *archives: tuple[str, str, str]) -> Path:
    """index.yaml for (name, version, relative URL) entries, as `helm repo index` writes it."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for name, version, url in archives:
        entries.setdefault(name, []).append(
            {"apiVersion": "v2", "name": name, "version": version, "urls": [url]}
        )
    index = directory / "index.yaml"
    index.write_text(yaml.safe_dump({"apiVersion": "v1", "entries": entries}))
    return index


class ChartRepository:
    """A chart repository at `url` (http://127.0.0.1:PORT/charts) until `stop()`; its files
    (index.yaml, archives) go in `charts`, the folder `root/charts`."""

    def __init__(self, root: Path) -> None:
        self.directory = root
        self.charts = root / "charts"
        self.charts.mkdir(parents=True, exist_ok=True)
        self.requests: list[str] = []
        repository = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(repository.directory), **kwargs)

            def do_GET(self) -> None:
                repository.requests.append(self.path)
                super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/charts"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ChartRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
