"""The `it4it` command, also installed as `kubectl-it4it` so that `kubectl it4it ...` works.

One module per command group, each with a `register(subparsers)` that adds its subcommands:

  consumer   catalog                       what a namespace may order (Consume)
  approve    approve INSTANCE              sign off the current plan as yourself (Deploy)
  trace      status sub/NAME | dpi/NAME    the chain down to workloads and incidents
  history    history dpi/NAME              the deployments of an instance
  incidents  incidents                     open incidents, most urgent first (Operate)
  tenant     tenant enable|disable NS      who releases are applied as in a namespace
  dev        run, cluster, dev, crds, plugins: the operator and the local control plane

A new group is a new module with `register()`, listed in
`COMMAND_GROUPS` below. Commands that read the cluster take kubectl's `--kubeconfig`,
`--context` and `-n` (default: the context's namespace) and `-o table|json|yaml`. Exit codes
are in `common.py`. Each command imports the client lazily, so `it4it crds` works without a
cluster and `it4it cluster up` without the operator's dependencies being touched.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from it4it_operator.cli import (
    approve,
    common,
    consumer,
    dev,
    history,
    incidents,
    tenant,
    trace,
)

COMMAND_GROUPS: tuple[ModuleType, ...] = (
    consumer,
    approve,
    trace,
    history,
    incidents,
    tenant,
    dev,
)


def program_name(argv0: str | None = None) -> str:
    """ "kubectl it4it" when run as the kubectl plugin, else "it4it"."""
    base = os.path.basename(argv0 if argv0 is not None else sys.argv[0])
    return "kubectl it4it" if base.startswith("kubectl-") else "it4it"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or program_name(),
        description="IT4IT value streams on Kubernetes: order, approve, trace and operate.",
        epilog=f"exit codes: {common.EXIT_CODES}",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return common.run(func, args)


__all__ = ["build_parser", "main"]
