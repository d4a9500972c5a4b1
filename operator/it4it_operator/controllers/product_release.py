"""ProductRelease: the release package handed from Integrate to Deploy.

Records the digest of the spec (what plans and approvals refer to) and whether the release is
accepted; an accepted release's spec is immutable (a CEL rule in the CRD enforces it).
"""

from __future__ import annotations

import hashlib
from typing import Any

from it4it_operator import API_VERSION
from it4it_operator.controllers.context import Context
from it4it_operator.controllers.status import StatusWriter
from it4it_operator.stages.deploy.plan import canonical_json
from it4it_operator.stages.operate.diagnose import problem_feedback
from it4it_operator.stages.outcome import Outcome

CONDITIONS = ("Ready", "Accepted")


def release_digest(spec: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(spec)).hexdigest()


def reconcile_release(ctx: Context, namespace: str, name: str) -> None:
    release = ctx.kube.get(API_VERSION, "ProductRelease", name, namespace)
    if release is None:
        return None
    w = StatusWriter(ctx, release, CONDITIONS)
    spec = release["spec"]
    acceptance = spec.get("acceptance") or {}
    name = f"{spec.get('product')} {spec.get('version')}"
    w.update(digest=release_digest(spec))
    if acceptance.get("accepted"):
        message = f"{name} is accepted by {acceptance.get('acceptedBy') or 'its team'}."
        w.set(Outcome.true("Accepted", "Accepted", message))
        w.set(Outcome.true("Ready", "Accepted", message), event=False)
        w.update(phase="Accepted")
    else:
        message = f"{name} is not accepted yet (spec.acceptance.accepted); it cannot be deployed."
        w.set(Outcome.false("Accepted", "NotAccepted", message))
        w.set(Outcome.false("Ready", "NotAccepted", message), event=False)
        w.update(phase="Pending")
    incidents = ctx.kube.by_index(
        "Incident", "ProductRelease", f"{namespace}/{release['metadata']['name']}"
    )
    w.update(operations=problem_feedback(incidents, spec.get("knownDefects") or []))
    w.flush()
    return None
