"""`it4it history dpi/NAME`: what was deployed to an instance, when, and how it ended.

The DesiredProductInstance keeps a bounded `status.history` (release, plan hash, result, at);
this prints it oldest first like `kubectl rollout history`, with the plan hash shortened.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from it4it_operator.cli.common import (
    add_cluster_flags,
    add_output_flag,
    connect,
    emit,
    fail,
    format_table,
)
from it4it_operator.cli.trace import DPI, TargetError, parse_target

HISTORY_COLUMNS = ("AT", "RELEASE", "PLAN", "RESULT", "MESSAGE")


def short_hash(plan_hash: str | None) -> str:
    """sha256:<64 hex> as its first 10 hex digits (the length in Approval names)."""
    return (plan_hash or "-").removeprefix("sha256:")[:10]


def history_of(dpi: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(e) for e in (dpi.get("status") or {}).get("history") or []]


def history_table(entries: Sequence[Mapping[str, Any]]) -> str:
    if not entries:
        return "No deployments yet."
    rows = [
        (
            str(e.get("at") or "-"),
            str(e.get("release") or "-"),
            short_hash(e.get("planHash")),
            str(e.get("result") or "-"),
            " ".join(str(e.get("message") or "").split()),
        )
        for e in entries
    ]
    return format_table(HISTORY_COLUMNS, rows)


def _history(args: argparse.Namespace) -> int:
    from it4it_operator import API_VERSION

    words = args.target if "/" in args.target[0] or len(args.target) > 1 else ["dpi", *args.target]
    try:
        _, name = parse_target(words, kinds=(DPI,))
    except TargetError as exc:
        return fail(str(exc))
    session = connect(args)
    dpi = session.kube.get(API_VERSION, DPI, name, session.namespace)
    if dpi is None:
        return fail(f"{DPI} {session.namespace}/{name} not found")
    entries = history_of(dpi)
    emit(entries, args.output, lambda: history_table(entries))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hist = sub.add_parser("history", help="the deployments of an instance, oldest first")
    hist.add_argument("target", nargs="+", metavar="dpi/NAME", help="dpi/NAME (or NAME)")
    add_cluster_flags(hist)
    add_output_flag(hist)
    hist.set_defaults(func=_history)
