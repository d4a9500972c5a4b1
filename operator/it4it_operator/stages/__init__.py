"""Pure stage logic of the IT4IT value streams: inputs in, decisions out, no I/O.

Nothing here imports kopf or the Kubernetes client (import-linter enforces it), so every
decision a controller makes can be unit-tested in milliseconds.
"""
