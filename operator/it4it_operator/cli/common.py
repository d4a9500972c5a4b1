"""What the commands that read the cluster share, so they behave like kubectl and its plugins.

The flags kubectl users type (`--kubeconfig`, `--context`, `-n` defaulting to the context's
namespace, `-A`), the output formats (`-o table|json|yaml`: data for scripts, a table for
people), aligned tables, and exit codes a script can branch on. API failures are turned into
exit codes here once, so a command body only says what it does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from it4it_operator.k8s import Kube

EXIT_OK = 0
EXIT_USAGE = 1
"""A wrong argument, no kubeconfig, or the object named does not exist."""
EXIT_REFUSED = 2
"""The API server refused the request (RBAC, an admission policy, validation)."""
EXIT_NOTHING_TO_APPROVE = 3
"""approve: the plan does not await an approval (the reason is printed)."""
EXIT_NOT_READY = 4
"""status: the root of the tree is not Ready."""
EXIT_CODES = (
    "0 ok, 1 usage or not found, 2 refused by the API server, 3 nothing to approve, 4 not Ready"
)
OUTPUTS = ("table", "json", "yaml")


def add_cluster_flags(parser: argparse.ArgumentParser, *, all_namespaces: bool = False) -> None:
    """--kubeconfig, --context, -n (and -A where a command can read every namespace)."""
    parser.add_argument("--kubeconfig", help="the kubeconfig (default: $KUBECONFIG)")
    parser.add_argument("--context", help="the kubeconfig context (default: the current one)")
    parser.add_argument(
        "-n", "--namespace", help="the namespace (default: the namespace of the context)"
    )
    if all_namespaces:
        parser.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")


def add_output_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", choices=OUTPUTS, default="table")


@dataclass(frozen=True)
class Session:
    """A connection as the user's kubeconfig says, and the namespace to work in (None: all)."""

    kube: Kube
    namespace: str | None


def connect(args: argparse.Namespace) -> Session:
    from it4it_operator.k8s import Kube, context_namespace

    kubeconfig, context = getattr(args, "kubeconfig", None), getattr(args, "context", None)
    kube = Kube.connect(kubeconfig=kubeconfig, context=context)
    if getattr(args, "all_namespaces", False):
        return Session(kube, None)
    return Session(kube, args.namespace or context_namespace(kubeconfig, context))


def emit(data: Any, output: str, table: Callable[[], str]) -> None:
    """Print `data` as JSON or YAML, or the table `table()` draws."""
    if output == "json":
        print(json.dumps(data, indent=2, default=str))
    elif output == "yaml":
        print(yaml.safe_dump(data, sort_keys=False), end="")
    else:
        print(table())


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns aligned on the widest cell, two spaces apart, like `kubectl get`."""
    lines = [tuple(header), *(tuple(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def condition(obj: Mapping[str, Any], type_: str) -> dict[str, Any]:
    """The condition `type_` of an object's status, or {}."""
    for found in (obj.get("status") or {}).get("conditions") or []:
        if found.get("type") == type_:
            return dict(found)
    return {}


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; a missing object is exit 1, any other refusal by the API server 2."""
    from it4it_operator.k8s import KubeconfigError
    from it4it_operator.k8s.errors import ApiError, NotFoundError

    try:
        return func(args)
    except KubeconfigError as exc:
        return fail(str(exc))
    except NotFoundError as exc:
        return fail(str(exc))
    except ApiError as exc:
        return fail(str(exc), EXIT_REFUSED)
    except BrokenPipeError:  # `... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_USAGE
