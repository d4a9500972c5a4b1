"""Operate, for SREs: `incidents`, the open incidents of a namespace (or all), most urgent first.

The table is what an SRE scans (priority, phase, instance, symptom, course of action); `-o
json|yaml` gives the Incident objects themselves. Closed incidents only with `--all`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from it4it_operator.cli.common import (
    add_cluster_flags,
    add_output_flag,
    connect,
    emit,
    format_table,
)

INCIDENT_COLUMNS = ("NAMESPACE", "NAME", "PRIORITY", "PHASE", "INSTANCE", "SYMPTOM", "ACTION")


def by_urgency(found: Sequence[dict[str, Any]], *, closed: bool = False) -> list[dict[str, Any]]:
    """P1 first, then by name; Closed ones left out unless `closed`."""
    kept = [i for i in found if closed or (i.get("status") or {}).get("phase") != "Closed"]
    return sorted(
        kept,
        key=lambda i: (
            (i.get("status") or {}).get("priority") or "P9",
            i["metadata"].get("namespace") or "",
            i["metadata"]["name"],
        ),
    )


def incident_table(found: Sequence[dict[str, Any]]) -> str:
    if not found:
        return "No incidents found."
    rows = []
    for i in found:
        status = i.get("status") or {}
        rows.append(
            (
                i["metadata"].get("namespace") or "",
                i["metadata"]["name"],
                str(status.get("priority") or "-"),
                str(status.get("phase") or "-"),
                str((i.get("spec") or {}).get("instance") or "-"),
                str(status.get("symptom") or "-"),
                str(status.get("courseOfAction") or "-"),
            )
        )
    return format_table(INCIDENT_COLUMNS, rows)


def _incidents(args: argparse.Namespace) -> int:
    from it4it_operator import API_VERSION

    session = connect(args)
    found = by_urgency(
        session.kube.list_objects(API_VERSION, "Incident", session.namespace), closed=args.all
    )
    emit(found, args.output, lambda: incident_table(found))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    inc = sub.add_parser("incidents", help="incidents on the instances, most urgent first")
    add_cluster_flags(inc, all_namespaces=True)
    inc.add_argument("--all", action="store_true", help="closed ones too")
    add_output_flag(inc)
    inc.set_defaults(func=_incidents)
