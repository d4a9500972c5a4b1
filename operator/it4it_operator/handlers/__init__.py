"""Thin kopf handlers: each receives an event, calls a controller, and lets it write status.

Importing this package registers every handler with kopf's default registry.
"""

from it4it_operator.handlers import consume, deploy, release, startup

__all__ = ["consume", "deploy", "release", "startup"]
