"""Kubernetes I/O: the one place that talks to the API server through the official client.

Handlers call `Kube`; stage logic never sees it (import-linter keeps it that way).
"""

from it4it_operator.k8s.kube import FIELD_MANAGER, Kube
from it4it_operator.k8s.kubeconfig import KubeconfigError, context_namespace

__all__ = ["FIELD_MANAGER", "Kube", "KubeconfigError", "context_namespace"]
