"""One status write per reconcile, with an Event for every condition that changed.

A controller records its stage verdicts (`Outcome`s) and status fields on a `StatusWriter`;
`flush()` writes a merge patch of the fields that differ from what the API server holds (no
write when none does), and posts one Event per condition transition to True or False with the
condition's reason (Warning when a stage turned False); a stage still Unknown (under way) posts
none. Conditions keep `lastTransitionTime` unless their status flips (api.conditions). While an
object rolls out, a change of wording alone (a rollout's counts), and the first progress of an
ActualProductInstance, wait up to `wording_seconds` and the pass runs again when the wait ends,
so a quick rollout costs no write for its progress.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from it4it_operator.api import conditions
from it4it_operator.controllers.context import Context
from it4it_operator.stages.outcome import Outcome

log = logging.getLogger(__name__)

PROGRESS_REASONS = frozenset({"Progressing", "WaitingForAvailability", "Observing"})
"""Ready reasons of an object whose rollout is under way: while one of them stands, a change of
wording alone (the counts of a rollout) may wait (`StatusWriter._holds_progress`)."""
RECONCILING = "Reconciling"
STALLED = "Stalled"


def clone(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of wire-format data (several times faster than copy.deepcopy)."""
    copied: dict[str, Any] = json.loads(json.dumps(value))
    return copied


class StatusWriter:
    """Collects the next status of `obj`; the conditions named in `owned` come first, in order."""

    def __init__(
        self,
        ctx: Context,
        obj: dict[str, Any],
        owned: Sequence[str],
        *,
        coalesce: bool = False,
        record: bool = False,
    ) -> None:
        """`coalesce`: the stages that turned True in one pass are told in one Event (the last
        one's reason, every message), not one Event each; Warnings always stand alone.
        `record`: the object is a record the operator keeps of what it observes (the
        ActualProductInstance), recomputed on every pass: while its first rollout is under way,
        its progress waits like wording does (`_holds_progress`)."""
        self.ctx = ctx
        self.coalesce = coalesce
        self.record = record
        self.obj = obj
        # `before` is the cached status, read only; `status` the copy this pass changes.
        self.before: dict[str, Any] = {
            k: v for k, v in (obj.get("status") or {}).items() if k != "kopf"
        }
        self.status: dict[str, Any] = clone(self.before)
        self.owned = list(owned)
        self.generation = int(obj["metadata"].get("generation") or 0)
        self._events: list[tuple[str, str, str]] = []
        conds = self.conditions
        for type_ in self.owned:
            if conditions.get_condition(conds, type_) is None:
                conditions.set_condition(
                    conds,
                    type_,
                    "Unknown",
                    "Pending",
                    "Not evaluated yet.",
                    self.generation,
                    now=self.ctx.clock(),
                    order=self.owned,
                )

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return self.status.setdefault("conditions", [])  # type: ignore[no-any-return]

    def condition(self, type_: str) -> dict[str, Any] | None:
        return conditions.get_condition(self.conditions, type_)

    def is_true(self, type_: str) -> bool:
        return conditions.is_true(self.conditions, type_)

    def set(self, outcome: Outcome, *, event: bool = True) -> None:
        """Set a condition; an Event follows when its status or reason changed."""
        old = dict(self.condition(outcome.type) or {})
        conditions.set_condition(
            self.conditions,
            outcome.type,
            outcome.status,
            outcome.reason,
            outcome.message,
            self.generation,
            now=self.ctx.clock(),
            order=self.owned,
        )
        moved = (old.get("status"), old.get("reason")) != (outcome.status, outcome.reason)
        # A stage that became True or False is news; one still Unknown (under way) is not.
        if (
            moved
            and event
            and outcome.status != "Unknown"
            and outcome.type not in (RECONCILING, STALLED)
        ):
            kind = "Warning" if outcome.status == "False" else "Normal"
            self._events.append((kind, outcome.reason, outcome.message))

    def abnormal(self, type_: str, reason: str | None, message: str = "") -> None:
        """Set a kstatus abnormal-true condition (Reconciling, Stalled), or remove it (None)."""
        if reason is None:
            conditions.remove_condition(self.conditions, type_)
        else:
            self.set(Outcome.true(type_, reason, message), event=False)

    def event(self, kind: str, reason: str, message: str) -> None:
        self._events.append((kind, reason, message))

    def update(self, **fields: Any) -> None:
        """Set status fields by their wire names; None removes a field."""
        for name, value in fields.items():
            if value is None:
                self.status.pop(name, None)
            else:
                self.status[name] = value

    def _merged(self) -> list[tuple[str, str, str]]:
        normal = [e for e in self._events if e[0] == "Normal"]
        if not self.coalesce or len(normal) < 2:
            return list(self._events)
        told = "; ".join(f"{reason}: {message}" for _, reason, message in normal)
        return [e for e in self._events if e[0] != "Normal"] + [("Normal", normal[-1][1], told)]

    def _holds_progress(self) -> bool:
        """Whether to hold back this write: the object is progressing (its Ready reason says
        so), only messages changed (or, for a `record` never yet Ready, only its progress), and
        less than `wording_seconds` ago; a pass with an Event to post is never held, so a
        person's decision (an approval, a refusal) is told at once. The pass is then asked to
        run again when the wait ends (`Context.hold_for`), so a held status is always written
        unless something else replaced it first."""
        uid = str(self.obj["metadata"].get("uid") or "")
        held, wait = self.ctx.held, self.ctx.settings.wording_seconds
        ready = self.condition("Ready") or {}
        if (
            wait <= 0
            or not uid
            or self._events
            or ready.get("reason") not in PROGRESS_REASONS
            or not (self._first_rollout() or _wordless(self.status) == _wordless(self.before))
        ):
            held.pop(uid, None)
            return False
        now = time.monotonic()
        waited = now - held.setdefault(uid, now)
        if waited < wait:
            self.ctx.hold_for(wait - waited)
            return True
        del held[uid]
        return False

    def _first_rollout(self) -> bool:
        """A record whose status has never said Ready=True: nobody has been told it runs, so
        its progress (the inventory filling in) is not news until it is done or it lasts."""
        ready = conditions.get_condition(self.before.get("conditions") or [], "Ready") or {}
        return self.record and ready.get("status") != "True"

    def flush(self) -> bool:
        """Write the status if it changed and post the queued Events; True when written."""
        self.status["observedGeneration"] = self.generation
        written = False
        if self.status != self.before and not self._holds_progress():
            # Only the fields this pass changed: another controller writing other fields of
            # the same status (Deploy and Operate both write the ActualProductInstance's) in
            # the meantime keeps what it wrote.
            patch = {k: v for k, v in self.status.items() if self.before.get(k) != v}
            patch.update({k: None for k in self.before if k not in self.status})
            if log.isEnabledFor(logging.DEBUG):
                log.debug("status of %s: %s", _name(self.obj), _changed(self.before, self.status))
            self.ctx.kube.patch_status(self.obj, patch)
            self.before = clone(self.status)
            written = True
        for kind, reason, message in self._merged():
            self.ctx.kube.emit_event(self.obj, kind, reason, message)
        self._events.clear()
        return written


def _wordless(value: Any) -> Any:
    """`value` without its `message` fields: what a status says, not how it words it."""
    if isinstance(value, dict):
        return {k: _wordless(v) for k, v in value.items() if k != "message"}
    if isinstance(value, list):
        return [_wordless(v) for v in value]
    return value


def _name(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{obj.get('kind')} {meta.get('namespace', '')}/{meta.get('name')}"


def _changed(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Which fields (conditions by type) a status write changes, for the debug log."""
    changed = [
        k for k in sorted({*before, *after}) if k != "conditions" and before.get(k) != after.get(k)
    ]
    old = {c["type"]: c for c in before.get("conditions") or []}
    changed += [
        f"{c['type']}={c['status']}/{c.get('reason')}"
        for c in after.get("conditions") or []
        if old.get(c["type"]) != c
    ]
    return ", ".join(changed)


def not_ready(w: StatusWriter, outcome: Outcome, phase: str, *, stalled: bool = False) -> None:
    """The one summary rule of every controller: Ready=False for `outcome`'s reason, and
    kstatus Stalled (a person must change something) or else Reconciling (work under way)."""
    w.set(Outcome.false("Ready", outcome.reason, outcome.message), event=False)
    w.abnormal(STALLED, outcome.reason if stalled else None, outcome.message)
    w.abnormal(RECONCILING, None if stalled else outcome.reason, outcome.message)
    w.update(phase=phase)
