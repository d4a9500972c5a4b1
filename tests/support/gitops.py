"""The Argo CD health checks of manifests/argocd/ as Argo CD runs them, and the ConfigMap patch
that ships them, rendered from the Lua files so the two cannot drift.

Argo CD evaluates `resource.customizations.health.<group>_<kind>` with gopher-lua (Lua 5.1):
the object is the global `obj`, the chunk returns `{status=..., message=...}`. lupa's Lua 5.1
runtime is the same language; JSON numbers arrive as Lua numbers, arrays as 1-based tables.

`python -m support.gitops` (with PYTHONPATH=tests; `make argocd`) rewrites the patch.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from it4it_operator import GROUP
from it4it_operator.api.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
ARGOCD = ROOT / "manifests" / "argocd"
HEALTH = ARGOCD / "health"
PATCH = ARGOCD / "argocd-cm-patch.yaml"
KEY = "resource.customizations.health.{group}_{kind}"
STATUSES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")


CORE = HEALTH / "_kstatus.lua"
"""What every kind's check shares (helpers, the unobserved-spec rule, `kstatus()`)."""


def script(kind: str) -> str:
    """The self-contained check Argo CD runs for `kind`: the kind's header comment, the shared
    core, then the kind's own body (health/<Kind>.lua holds only the header and the body)."""
    lines = (HEALTH / f"{kind}.lua").read_text().splitlines(keepends=True)
    header = 0
    while header < len(lines) and lines[header].startswith("--"):
        header += 1
    return "".join(lines[:header]) + "\n" + CORE.read_text() + "".join(lines[header:]).lstrip("\n")


def health(kind: str, obj: dict[str, Any]) -> tuple[str, str | None]:
    """(status, message) of the Argo CD health check of `kind` for `obj`, in Lua 5.1."""
    from lupa import lua51

    lua = lua51.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute(script(kind))
    status, message = result["status"], result["message"]
    if status not in STATUSES:
        raise AssertionError(f"{kind}.lua returned status {status!r}, not one of {STATUSES}")
    return str(status), None if message is None else str(message)


class _Literal(str):
    """A string dumped as a YAML block (|), as people write Lua into argocd-cm."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)

HEADER = """\
# Argo CD health checks for the it4it.dev kinds: merge into Argo CD's argocd-cm ConfigMap
# (kubectl -n argocd patch configmap argocd-cm --patch-file manifests/argocd/argocd-cm-patch.yaml,
# or as a kustomize patch of an Argo CD install). Generated from health/<Kind>.lua by
# `make argocd`; a unit test fails when it differs. See README.md beside this file.
"""


def render_patch() -> str:
    """argocd-cm-patch.yaml: one health key per kind, its value the kind's Lua file."""
    data = {
        KEY.format(group=GROUP, kind=k.kind): _Literal(script(k.kind))
        for k in sorted(KINDS, key=lambda k: k.kind)
    }
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "argocd-cm",
            "namespace": "argocd",
            "labels": {
                "app.kubernetes.io/name": "argocd-cm",
                "app.kubernetes.io/part-of": "argocd",
            },
        },
        "data": data,
    }
    return HEADER + yaml.dump(body, Dumper=_Dumper, sort_keys=False, width=1000)


if __name__ == "__main__":
    PATCH.write_text(render_patch())
    print(PATCH.relative_to(ROOT), file=sys.stderr)
