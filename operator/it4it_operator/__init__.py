"""it4it-operator: the IT4IT Deploy, Release, Consume and Operate value streams on Kubernetes.

Layers (enforced by import-linter, see pyproject.toml):
  api/       pydantic models, the single source of truth for the CRDs, and the conditions helper
  stages/    pure stage logic: inputs -> decisions, no I/O, unit-tested without a cluster
  plugins/   automation plugins (renderers, health assessors, ...) registered by entry point
  k8s/       the only code that talks to the Kubernetes API
  handlers/  thin kopf handlers that glue the three together
"""

GROUP = "it4it.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
