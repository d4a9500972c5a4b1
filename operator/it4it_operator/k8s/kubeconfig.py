"""Which cluster, as which user, in which namespace: the client configuration, as kubectl picks it.

The operator runs in a Pod (in-cluster configuration) or from a developer's kubeconfig; the
`it4it` command (also run as `kubectl it4it`) must behave like kubectl: `--kubeconfig` and
`--context` win, then `$KUBECONFIG` (read when called, not when the client was imported:
`make run` sets it late), and `-n` defaults to the namespace of the context. Failures become a
`KubeconfigError` so the CLI can say what is wrong without importing the client.
"""

from __future__ import annotations

import os
from pathlib import Path

from kubernetes import config

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class KubeconfigError(Exception):
    """No usable client configuration: no kubeconfig, an unknown context, a broken file."""


def _kubeconfig(named: str | None) -> str | None:
    return named or os.environ.get("KUBECONFIG") or None


def load_configuration(kubeconfig: str | None = None, context: str | None = None) -> None:
    """Load the client's default configuration: the Pod's unless a kubeconfig or context is
    named, else the kubeconfig (`kubeconfig`, `$KUBECONFIG`, `~/.kube/config`)."""
    if kubeconfig is None and context is None:
        try:
            config.load_incluster_config()
            return
        except config.ConfigException:
            pass
    try:
        config.load_kube_config(config_file=_kubeconfig(kubeconfig), context=context)
    except (config.ConfigException, OSError, ValueError) as exc:
        raise KubeconfigError(f"cannot load the kubeconfig: {exc}") from exc


def context_namespace(kubeconfig: str | None = None, context: str | None = None) -> str:
    """The namespace of the kubeconfig's context (the current one unless `context` names
    another), like kubectl; in a Pod without a kubeconfig, the ServiceAccount's; else
    "default"."""
    try:
        contexts, current = config.list_kube_config_contexts(config_file=_kubeconfig(kubeconfig))
    except (config.ConfigException, OSError, ValueError) as exc:
        if kubeconfig is None and context is None and SERVICE_ACCOUNT_NAMESPACE.exists():
            return SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or "default"
        raise KubeconfigError(f"cannot load the kubeconfig: {exc}") from exc
    chosen = current
    if context is not None:
        chosen = next((c for c in contexts if c.get("name") == context), None)
        if chosen is None:
            raise KubeconfigError(f"context {context!r} is not in the kubeconfig")
    return str(((chosen or {}).get("context") or {}).get("namespace") or "default")
