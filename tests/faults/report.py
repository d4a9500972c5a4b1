"""What one fault scenario measured, and the one Markdown table the suite prints."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from faults.invariants import Violation

RECOVERY_BOUND = 120.0
"""Seconds after a fault's end by which every change made during it must be reflected."""


@dataclass
class FaultResult:
    """One row: a fault, how often it was injected, and what followed."""

    fault: str
    injected: int = 0
    recoveries: list[float] = field(default_factory=list)
    """Seconds from each injection's end to every subscription Ready again (and every change
    made during it reflected)."""
    violations: list[Violation] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None

    def violate(self, found: Iterable[Violation]) -> None:
        for violation in found:
            if violation not in self.violations:
                self.violations.append(violation)

    @property
    def failed(self) -> bool:
        return bool(self.violations or self.lost)


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 100 else f"{value:.0f} s"


def p50(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def table(results: Iterable[FaultResult], *, seed: int, header: str = "") -> str:
    """The Markdown table: one row per fault, then the violations and lost changes named."""
    results = list(results)
    lines = [header] if header else []
    lines += [
        f"Seed: {seed}",
        "",
        "| fault | injected | recovery p50 | recovery max | invariant violations "
        "| changes lost | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if r.skipped:
            lines.append(f"| {r.fault} | skipped | - | - | - | - | {r.skipped} |")
            continue
        worst = max(r.recoveries) if r.recoveries else None
        lines.append(
            f"| {r.fault} | {r.injected} | {seconds(p50(r.recoveries))} | {seconds(worst)} "
            f"| {len(r.violations)} | {len(r.lost)} | {'; '.join(r.notes)} |"
        )
    total_v = sum(len(r.violations) for r in results)
    total_l = sum(len(r.lost) for r in results)
    lines += ["", f"Invariant violations: {total_v}. Changes lost: {total_l}."]
    for r in results:
        for violation in r.violations[:20]:
            lines.append(f"- {r.fault}: {violation}")
        if len(r.violations) > 20:
            lines.append(f"- {r.fault}: ... {len(r.violations) - 20} more violations")
        for change in r.lost[:20]:
            lines.append(f"- {r.fault}: lost change: {change}")
        if len(r.lost) > 20:
            lines.append(f"- {r.fault}: ... {len(r.lost) - 20} more lost changes")
    return "\n".join(lines) + "\n"
