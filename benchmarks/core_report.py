"""What controller_core.py measured, and the Markdown table it prints with the targets beside.

Kept apart from the phases so the figures' meaning (what is divided by what, which target
applies at which N) reads in one place. Nothing here talks to a cluster.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# apiserver_request_total's verb label (kube-apiserver 1.36): GET, LIST, WATCH, POST, PUT,
# PATCH, APPLY (a PATCH with an apply-patch body), DELETE, DELETECOLLECTION, CONNECT.
WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"})
MIB = 2**20
LARGE = 10000  # from this N on, the 10k targets apply


@dataclass
class Waited:
    done: bool
    seconds: float
    reached: str


@dataclass
class Audited:
    """The operator's own requests in a time window, from the apiserver audit log."""

    summary: dict[str, int]  # audit.summarize(): writes, reads, watches, other, total
    writes_by_resource: Counter[str]  # "deployments", "subscriptions/status", ...

    def requests(self, *, only_writes: bool) -> int:
        """The writes, or every request but watches."""
        s = self.summary
        return s["writes"] if only_writes else s["total"] - s["watches"]


@dataclass
class Phase:
    """B0 or B1: how long it took and the requests of all clients by verb (None: no metrics)."""

    waited: Waited
    verbs: Counter[str] | None
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process in the phase

    def per(self, count: int, *, only_writes: bool) -> float | None:
        if self.verbs is None:
            return None
        return (writes(self.verbs) if only_writes else sum(self.verbs.values())) / count


@dataclass
class Subscribed(Phase):
    ready_seconds: list[float] = field(default_factory=list)  # creation -> Ready, sorted
    peak_rss: int = 0
    operator: Audited | None = None

    def operator_per(self, count: int, *, only_writes: bool) -> float | None:
        if self.operator is None:
            return None
        return self.operator.requests(only_writes=only_writes) / count


@dataclass
class Idle:
    seconds: float
    operator: Audited | None
    all_clients: Counter[str] | None

    def operator_rate(self, *, only_writes: bool) -> float | None:
        if self.operator is None:
            return None
        return self.operator.requests(only_writes=only_writes) / self.seconds

    def clients_rate(self, *, only_writes: bool) -> float | None:
        if self.all_clients is None:
            return None
        if only_writes:
            return writes(self.all_clients) / self.seconds
        watchless = sum(n for verb, n in self.all_clients.items() if verb != "WATCH")
        return watchless / self.seconds


@dataclass
class Results:
    count: int
    sizing: str
    direct: Phase | None = None
    subscribed: Subscribed | None = None
    idle: Idle | None = None
    marginal: list[float] | None = None  # pod Ready -> Subscription Ready, seconds
    rss_converged: int | None = None
    rss_idle: int | None = None
    notes: list[str] = field(default_factory=list)


def writes(verbs: Counter[str]) -> int:
    return sum(n for verb, n in verbs.items() if verb in WRITE_VERBS)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of `values`."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Row:
    """One line of the table; the target, when there is one, is `value <= limit`."""

    measure: str
    value: float | None
    unit: str = ""
    digits: int = 1
    limit: float | None = None
    text: str | None = None  # shown instead of the value

    def cells(self) -> tuple[str, str, str, str]:
        shown = self.text or _number(self.value, self.unit, self.digits)
        if self.limit is None:
            return self.measure, shown, "", ""
        target = f"<= {round(self.limit, 1):g}{self.unit}"
        met = "n/a" if self.value is None else ("yes" if self.value <= self.limit else "**no**")
        return self.measure, shown, target, met


def _number(value: float | None, unit: str, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _mib(value: int | None) -> float | None:
    return None if value is None else value / MIB


def _wall(measure: str, phase: Phase | None) -> Row:
    if phase is None:
        return Row(measure, None)
    waited = phase.waited
    if waited.done:
        return Row(measure, waited.seconds, " s")
    return Row(measure, None, text=f"timed out after {waited.seconds:.0f} s at {waited.reached}")


def time_rows(r: Results) -> list[Row]:
    b0, b1 = r.direct, r.subscribed
    ratio = None
    if b0 and b1 and b0.waited.done and b1.waited.done:
        ratio = b1.waited.seconds / b0.waited.seconds
    return [
        _wall("T_B0: direct apply -> every Deployment available", b0),
        _wall("T_B1: first Subscription applied -> every one Ready", b1),
        Row("T_B1 / T_B0", ratio, digits=2, limit=2.0 if r.count >= LARGE else 1.5),
    ]


def request_rows(r: Results) -> list[Row]:
    def per(phase: Phase | None, only_writes: bool) -> float | None:
        return phase.per(r.count, only_writes=only_writes) if phase else None

    def own(only_writes: bool) -> float | None:
        b1 = r.subscribed
        return b1.operator_per(r.count, only_writes=only_writes) if b1 else None

    b0_writes = per(r.direct, True)
    return [
        Row("API writes per instance (B0, all clients)", b0_writes),
        Row(
            "API writes per subscription (B1, all clients)",
            per(r.subscribed, True),
            limit=None if b0_writes is None else b0_writes + 6,
        ),
        Row("API requests per instance (B0, all clients)", per(r.direct, False)),
        Row("API requests per subscription (B1, all clients)", per(r.subscribed, False)),
        Row("operator's own writes per subscription (B1, audit log)", own(True)),
        Row("operator's own requests per subscription (B1, audit log, no watches)", own(False)),
    ]


def idle_rows(r: Results) -> list[Row]:
    idle = r.idle
    watches = idle.operator.summary["watches"] if idle and idle.operator else None
    return [
        Row(
            "idle: operator requests/s (watches excluded)",
            idle.operator_rate(only_writes=False) if idle else None,
            digits=2,
            limit=1.0,
        ),
        Row(
            "idle: operator writes/s",
            idle.operator_rate(only_writes=True) if idle else None,
            digits=2,
            limit=0.0,
        ),
        Row("idle: operator watch requests in the window", watches, digits=0),
        Row(
            "idle: all clients' requests/s (watches excluded)",
            idle.clients_rate(only_writes=False) if idle else None,
            digits=2,
        ),
        Row(
            "idle: all clients' writes/s",
            idle.clients_rate(only_writes=True) if idle else None,
            digits=2,
        ),
    ]


def memory_rows(r: Results) -> list[Row]:
    limit = 400.0 if r.count >= LARGE else 150.0
    peak = r.subscribed.peak_rss if r.subscribed else None
    return [
        Row("operator RSS after convergence", _mib(r.rss_converged), " MiB", 0, limit),
        Row("operator RSS after the idle window", _mib(r.rss_idle), " MiB", 0, limit),
        Row("operator RSS peak during B1", _mib(peak), " MiB", 0, limit),
    ]


def latency_rows(r: Results) -> list[Row]:
    ready = r.subscribed.ready_seconds if r.subscribed else []
    marginal = r.marginal or []
    return [
        Row("Subscription created -> Ready, p50", percentile(ready, 50), " s", 0),
        Row("Subscription created -> Ready, p99", percentile(ready, 99), " s", 0),
        Row("Subscription created -> Ready, max", percentile(ready, 100), " s", 0),
        Row(
            "marginal: pod Ready -> Subscription Ready, p50", percentile(marginal, 50), " s", 0, 2.0
        ),
        Row("marginal: pod Ready -> Subscription Ready, max", percentile(marginal, 100), " s", 0),
    ]


def cpu_note(label: str, phase: Phase | None) -> str | None:
    """Where the cores went in a phase: CPU seconds by process, and their share of all."""
    if phase is None or not phase.cpu:
        return None
    total = sum(phase.cpu.values())
    spent = sorted(phase.cpu.items(), key=lambda kv: -kv[1])
    shares = ", ".join(f"{name} {s:.0f} s ({s / total:.0%})" for name, s in spent if total)
    wall = phase.waited.seconds
    return f"{label} CPU seconds by process ({total:.0f} s in all over {wall:.0f} s): {shares}."


def verb_note(label: str, phase: Phase | None) -> str:
    if phase is None or phase.verbs is None:
        return f"{label}: no apiserver metrics."
    return f"{label} requests of all clients by verb: {_counts(phase.verbs)}."


def operator_notes(r: Results) -> Iterable[str]:
    for label, audited in (
        ("B1", r.subscribed.operator if r.subscribed else None),
        ("Idle", r.idle.operator if r.idle else None),
    ):
        if audited and audited.writes_by_resource:
            yield f"{label} operator writes by resource: {_counts(audited.writes_by_resource)}."


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def standing_notes(r: Results, poll: float, idle: float, settle: float) -> Iterable[str]:
    yield (
        "Per-subscription times come from creationTimestamp and the Ready condition's "
        "lastTransitionTime, which have whole seconds only: the p50s and marginal latencies are "
        f"coarse (+-1 s). T_B0 and T_B1 are measured by polling every {poll:.0f} s."
    )
    yield (
        "API requests count every client (controllers, scheduler, KWOK, this benchmark's applies "
        "and polls): deltas of kube-apiserver's apiserver_request_total, divided by N; writes "
        f"are the verbs {', '.join(sorted(WRITE_VERBS))}."
    )
    yield (
        f"Idle window: {idle:.0f} s, opened {settle:.0f} s after convergence; the operator's "
        "requests there come from the apiserver audit log (its user only)."
    )
    yield verb_note("B0", r.direct)
    yield verb_note("B1", r.subscribed)
    for label, phase in (("B0", r.direct), ("B1", r.subscribed)):
        if note := cpu_note(label, phase):
            yield note
    yield from operator_notes(r)


def table(r: Results) -> str:
    rows = [*time_rows(r), *request_rows(r), *idle_rows(r), *memory_rows(r), *latency_rows(r)]
    lines = [
        f"### Controller core, N={r.count} ({r.sizing})",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
        *("| " + " | ".join(row.cells()) + " |" for row in rows),
        "",
        *(f"- {note}" for note in r.notes),
    ]
    return "\n".join(lines) + "\n"
