"""Generate the CustomResourceDefinitions in `crds/` from the models: one file per kind.

The models are the single source of truth; the YAML is never edited by hand. `generate()` is
deterministic (sorted keys, fixed width) so the drift test can compare it byte for byte with the
checked-in files, and `write()` rewrites the directory, removing CRDs of kinds that are gone.
`it4it crds` and `python -m it4it_operator.api.crdgen` both end here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from it4it_operator import GROUP, VERSION
from it4it_operator.api.kinds import CATEGORY, KINDS, Kind
from it4it_operator.api.schema import resource_schema

HEADER = "# Generated from operator/it4it_operator/api by `it4it crds`. Do not edit.\n"
SUFFIX = f".{GROUP}.yaml"


def crd(kind: Kind) -> dict[str, Any]:
    """The CustomResourceDefinition of one kind, as a dict."""
    schema = resource_schema(kind.model)
    if any(rule.get("fieldPath", "").startswith(".metadata.name") for rule in kind.rules):
        # fieldPath must name a declared field; metadata may declare name (and generateName).
        schema["properties"]["metadata"]["properties"] = {"name": {"type": "string"}}
    if kind.rules:
        schema["x-kubernetes-validations"] = [
            *schema.get("x-kubernetes-validations", []),
            *kind.rules,
        ]
    version: dict[str, Any] = {
        "name": VERSION,
        "served": True,
        "storage": True,
        "subresources": {"status": {}},
        "additionalPrinterColumns": [c.to_crd() for c in kind.printer_columns],
        "schema": {"openAPIV3Schema": schema},
    }
    if kind.selectable_fields:
        version["selectableFields"] = [{"jsonPath": p} for p in kind.selectable_fields]
    names: dict[str, Any] = {
        "kind": kind.kind,
        "listKind": f"{kind.kind}List",
        "plural": kind.plural,
        "singular": kind.singular,
        "categories": [CATEGORY],
    }
    if kind.short_names:
        names["shortNames"] = list(kind.short_names)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": kind.crd_name,
            "labels": {"app.kubernetes.io/part-of": "it4it-operator"},
        },
        "spec": {"group": GROUP, "names": names, "scope": kind.scope, "versions": [version]},
    }


def render(document: dict[str, Any]) -> str:
    """YAML of a CRD: sorted keys, block style, long lines unfolded so rules read as written."""
    return HEADER + yaml.safe_dump(
        document, sort_keys=True, default_flow_style=False, width=4096, allow_unicode=True
    )


def generate() -> dict[str, str]:
    """File name (e.g. productreleases.it4it.dev.yaml) -> YAML text, for every kind."""
    return {f"{kind.crd_name}.yaml": render(crd(kind)) for kind in KINDS}


def write(directory: Path) -> list[Path]:
    """Write every CRD into `directory`, delete stale generated ones; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    files = generate()
    for stale in directory.glob(f"*{SUFFIX}"):
        if stale.name not in files:
            stale.unlink()
    written = []
    for name, text in sorted(files.items()):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def drift(directory: Path) -> list[str]:
    """Names of files in `directory` that differ from, lack or exceed what generate() makes."""
    files = generate()
    present = {p.name for p in directory.glob(f"*{SUFFIX}")}
    changed = [
        name
        for name, text in files.items()
        if name not in present or (directory / name).read_text(encoding="utf-8") != text
    ]
    return sorted([*changed, *(present - files.keys())])


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m it4it_operator.api.crdgen [--check] [DIR]` (DIR defaults to crds)."""
    parser = argparse.ArgumentParser(prog="it4it crds", description="Generate the it4it.dev CRDs.")
    parser.add_argument("directory", nargs="?", default="crds", type=Path)
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = drift(args.directory)
        for name in stale:
            print(f"{args.directory / name}: out of date, run `it4it crds`", file=sys.stderr)
        return 1 if stale else 0
    for path in write(args.directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
