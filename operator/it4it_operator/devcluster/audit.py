"""What the operator asked of the API server, read from the local control plane's audit log.

The local kube-apiserver audits one user only, the operator's (`policy()`), at level Metadata,
so the log stays small while thousands of pods churn. Tests and benchmarks read it here to count
the operator's reads, writes and watches (`read_audit`, `summarize`) without a proxy or metrics.

One request is one record. With `omitStages: [RequestReceived]` a normal request logs one
`ResponseComplete` line and a watch logs `ResponseStarted` when it opens and `ResponseComplete`
when it ends; lines are grouped by `auditID` and the latest stage kept, so a watch still open
counts once (its `ResponseStarted`) and a finished one once too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPERATOR_USER = "it4it-operator"
"""The operator's own client-certificate user on the local control plane (system:masters)."""
OPERATOR_NAMESPACE = "it4it-system"
OPERATOR_SERVICE_ACCOUNT = f"system:serviceaccount:{OPERATOR_NAMESPACE}:it4it-operator"
"""The operator as the chart installs it: its ServiceAccount, with exactly the chart's RBAC."""

WRITES = frozenset({"create", "update", "patch", "delete", "deletecollection"})
READS = frozenset({"get", "list"})
WATCHES = frozenset({"watch"})

# Later stages of one request win; RequestReceived alone (no answer yet) is no record.
_STAGE_RANK = {"RequestReceived": 0, "ResponseStarted": 1, "ResponseComplete": 2, "Panic": 2}


def policy(*users: str) -> dict[str, Any]:
    """The audit policy: every request of `users` (default: the operator's) at level Metadata,
    nobody else's."""
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "Metadata", "users": list(users or (OPERATOR_USER,))},
            {"level": "None"},
        ],
    }


@dataclass(frozen=True)
class AuditRecord:
    """One request: what was asked (verb and object) and how it was answered (code)."""

    verb: str
    resource: str
    subresource: str
    namespace: str
    name: str
    code: int
    timestamp: dt.datetime
    api_group: str = ""
    uri: str = ""


def _timestamp(text: str) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _record(event: dict[str, Any]) -> AuditRecord:
    ref = event.get("objectRef") or {}
    return AuditRecord(
        verb=str(event.get("verb", "")),
        resource=str(ref.get("resource", "")),
        subresource=str(ref.get("subresource", "")),
        namespace=str(ref.get("namespace", "")),
        name=str(ref.get("name", "")),
        code=int((event.get("responseStatus") or {}).get("code", 0)),
        timestamp=_timestamp(event["requestReceivedTimestamp"]),
        api_group=str(ref.get("apiGroup", "")),
        uri=str(event.get("requestURI", "")),
    )


def parse(lines: Iterable[str], user: str = OPERATOR_USER) -> list[AuditRecord]:
    """Records of `user`'s requests in audit log lines (JSON events), one per request, in the
    order the requests first appear. Blank and malformed lines are skipped."""
    latest: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(lines):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict) or (event.get("user") or {}).get("username") != user:
            continue
        rank = _STAGE_RANK.get(str(event.get("stage")), -1)
        key = str(event.get("auditID") or f"line {number}")
        seen = latest.get(key)
        if rank > 0 and (seen is None or rank >= _STAGE_RANK[seen["stage"]]):
            latest[key] = event
    return [_record(e) for e in latest.values() if "requestReceivedTimestamp" in e]


def read_audit(
    path: Path, user: str = OPERATOR_USER, since: dt.datetime | None = None
) -> list[AuditRecord]:
    """The requests of `user` in the audit log at `path` (empty when it does not exist yet),
    only those received at or after `since` when given (a naive `since` is taken as UTC)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", errors="replace") as log:
        records = parse(log, user)
    if since is None:
        return records
    cutoff = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
    return [r for r in records if r.timestamp >= cutoff]


def summarize(records: Iterable[AuditRecord]) -> dict[str, int]:
    """Counts of writes (create, update, patch, delete, deletecollection), reads (get, list),
    watches, other verbs and the total. A watch is never a read."""
    counts = {"writes": 0, "reads": 0, "watches": 0, "other": 0, "total": 0}
    for record in records:
        if record.verb in WRITES:
            counts["writes"] += 1
        elif record.verb in READS:
            counts["reads"] += 1
        elif record.verb in WATCHES:
            counts["watches"] += 1
        else:
            counts["other"] += 1
        counts["total"] += 1
    return counts
