"""Automation plugins: the steps of the value streams that vary by technology.

Renderers turn a release's deployment design into objects, health assessors judge one kind's live
state, runbook actions resolve incidents, notifiers tell people. Each is a small typed interface
(`interfaces`), registered through the `it4it.plugins` entry point group and loaded by
`registry.load_plugins`; the built-ins (`builtin/`) register exactly like third-party plugins.
The core (stage logic, conditions, the API) never names a concrete plugin.
"""
