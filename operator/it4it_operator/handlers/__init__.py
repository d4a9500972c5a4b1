"""Thin kopf glue: the operator's life cycle (start-up, probes, clean-up) around the manager.

kopf runs the process (logging, liveness endpoint, signals); the controllers run on caches fed
by their own watches and a work queue (`controllers.manager`). Importing this package registers
the handlers with kopf's default registry.
"""

from it4it_operator.handlers import startup

__all__ = ["startup"]
