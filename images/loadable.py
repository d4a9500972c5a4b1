"""Make an OCI archive loadable by `docker load` as well as `podman load`, as `docker save` does.

`buildah push IMAGE oci-archive:FILE:NAME` writes an OCI image layout (oci-layout, index.json,
blobs/), which podman loads with its name. `docker load` reads the name of an OCI layout from
the `io.containerd.image.name` annotation, and Docker before 25 reads only the docker-archive
`manifest.json` (Config, RepoTags, Layers). Since Docker 25, `docker save` writes both into one
tar; this does the same to buildah's archive, pointing manifest.json at the OCI blobs, so one
file serves every loader. The blobs are left as they are: the image and its digest do not change.

Usage: python images/loadable.py dist/it4it-operator-0.1.0.oci.tar ghcr.io/org/name:tag
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

NAME_ANNOTATION = "io.containerd.image.name"
REF_ANNOTATION = "org.opencontainers.image.ref.name"


def _blob(digest: str) -> str:
    algorithm, hexdigest = digest.split(":", 1)
    return f"blobs/{algorithm}/{hexdigest}"


def docker_manifest(read: Any, index: dict[str, Any], reference: str) -> list[dict[str, Any]]:
    """The docker-archive manifest.json of the layout's image manifest (the only one)."""
    (entry,) = index["manifests"]
    manifest = json.loads(read(_blob(entry["digest"])))
    return [
        {
            "Config": _blob(manifest["config"]["digest"]),
            "RepoTags": [reference],
            "Layers": [_blob(layer["digest"]) for layer in manifest["layers"]],
        }
    ]


def make_loadable(archive: Path, reference: str) -> None:
    """Rewrite `archive` in place with the name annotation and a manifest.json added."""
    with tarfile.open(archive) as src:
        members = src.getmembers()

        def read(name: str) -> bytes:
            handle = src.extractfile(name)
            assert handle is not None, f"{name} missing from {archive}"
            return handle.read()

        index = json.loads(read("index.json"))
        for entry in index["manifests"]:
            entry.setdefault("annotations", {})[NAME_ANNOTATION] = reference
            entry["annotations"].setdefault(REF_ANNOTATION, reference)
        extra = {
            "index.json": json.dumps(index, separators=(",", ":")).encode(),
            "manifest.json": json.dumps(docker_manifest(read, index, reference)).encode(),
        }
        temp = archive.with_suffix(".tmp")
        with tarfile.open(temp, "w", format=tarfile.PAX_FORMAT) as dst:
            for member in members:
                if member.name in extra:
                    continue
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
            for name, data in extra.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                dst.addfile(info, io.BytesIO(data))
    temp.replace(archive)


if __name__ == "__main__":
    make_loadable(Path(sys.argv[1]), sys.argv[2])
