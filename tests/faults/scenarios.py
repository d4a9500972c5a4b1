"""The faults, each a function of the harness returning its row(s) of the table.

Every scenario injects its fault while the workload has work in flight, makes spec changes
during the fault where the API server takes them, waits for recovery (from the fault's end to
every subscription Ready again and every change reflected, bounded by 2 minutes), and checks
every invariant over the cluster right after, so a violation is charged to the fault that
caused it. `run_all` runs the selected ones in order and ends with a check of the final state.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from faults import workload
from faults.components import restart_component
from faults.harness import OPERATOR_ENV, Harness, Key, now, say
from faults.invariants import DONE_INCIDENT_PHASES, Violation, condition
from faults.report import RECOVERY_BOUND, FaultResult
from faults.rest import ApiError, apps, core, it4it
from it4it_operator.devcluster import audit, tools
from it4it_operator.devcluster.operator import OperatorProcess

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "tests" / "data" / "invalid"
SCENARIOS = (
    "corpus",
    "kills",
    "apiserver",
    "etcd",
    "stall",
    "drop",
    "deletion",
    "writers",
    "replicas",
)
READY_AFTER_RESTART = 60.0
"""Every subscription Ready within this many seconds of the operator's (last) restart."""
KILL_DELAY = 1.0
"""A kill falls uniformly within this many seconds after the round's work was asked for (a
fresh subscription takes 1 to 3 s to be Ready here, a change about 1 s)."""
WINDOW_EVERY = 5
"""Every fifth kill aims at the window between two applies of a first install."""
WINDOW_DELAY = 0.3
"""Seconds the proxy holds each request of the operator while a window kill is prepared."""
STALL_SECONDS = 10.0
CHANGES = 5
"""Spec changes made during each fault of the API server, etcd and the connection."""
OWNER_NOTE = "example.com/owner-note"
PERSON = "a-person"
TAMPERED = "Tampered"
LEADER_LEASE = "it4it-operator"


# -- the workload and the bad input under load -------------------------------------------------
def kill_plan(config_kills: int, subscriptions: int) -> tuple[int, int]:
    """(new subscriptions per plain kill round, subscriptions created at the start)."""
    windows = config_kills // WINDOW_EVERY
    plain = max(config_kills - windows, 0)
    per_round = max(1, subscriptions // (2 * max(config_kills, 1)))
    fresh = windows + plain * per_round
    if fresh > subscriptions // 2:
        per_round, fresh = 0, windows
    return per_round, max(subscriptions - fresh, 1)


def apply_corpus(h: Harness, result: FaultResult) -> float:
    """Apply every file of tests/data/invalid/ (for real, no dry run): each must be refused.
    A two-document file's first document is applied for real first and deleted after."""
    files = sorted(INVALID.glob("*.yaml"))
    kubeconfig = h.cluster.kubeconfig

    def one(path: Path) -> list[Violation]:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
        *before, invalid = documents
        scope = ("-n", workload.CORPUS_NS, "-f", "-")
        for document in before:
            tools.kubectl(kubeconfig, "apply", *scope, input=yaml.safe_dump(document))
        answer = tools.kubectl(
            kubeconfig, "apply", *scope, input=yaml.safe_dump(invalid), check=False
        )
        found = []
        if answer.returncode == 0:
            found.append(Violation("accepted", path.name, answer.stdout.strip()[:200]))
            documents = [*before, invalid]
        for document in reversed(documents if answer.returncode == 0 else before):
            tools.kubectl(
                kubeconfig,
                "delete",
                "--ignore-not-found",
                "--wait=false",
                *scope,
                input=yaml.safe_dump(document),
                check=False,
            )
        return found

    with ThreadPoolExecutor(3) as pool:
        for found in pool.map(one, files):
            result.violate(found)
    result.injected = len(files)
    return time.monotonic()


def corpus_left(h: Harness) -> list[Violation]:
    """it4it objects the corpus left behind (every file refused, the first documents deleted)."""
    found = []
    for plural in ("productreleases", "subscriptions", "desiredproductinstances", "approvals"):
        for item in h.admin.list(it4it(plural, workload.CORPUS_NS)):
            if not item["metadata"].get("deletionTimestamp"):
                found.append(Violation("corpus", f"{plural} {item['metadata']['name']}", "left"))
    for item in h.admin.list(it4it("serviceoffers")):
        if item["metadata"]["name"] != workload.OFFER:
            found.append(Violation("corpus", f"ServiceOffer {item['metadata']['name']}", "left"))
    return found


def start_workload(h: Harness, run_corpus: bool) -> list[FaultResult]:
    """The first subscriptions (and those of the namespace deleted later) converge; the invalid
    corpus is applied meanwhile, under that load."""
    _, initial = kill_plan(
        h.config.kills if "kills" in h.config.scenarios else 0, h.config.subscriptions
    )
    baseline = FaultResult(f"no fault: {initial} + {h.config.doomed} subscriptions converge")
    corpus = FaultResult("bad input under load: every file of tests/data/invalid/ applied")
    started = time.monotonic()
    h.subscribe(h.fresh_names(h.config.doomed, "doomed"), workload.DOOMED_NS)
    h.subscribe(h.fresh_names(initial))
    say(f"{initial + h.config.doomed} subscriptions created")
    corpus_done: list[float] = []
    thread = None
    if run_corpus:

        def corpus_run() -> None:
            corpus_done.append(apply_corpus(h, corpus))

        thread = threading.Thread(target=corpus_run, name="corpus", daemon=True)
        thread.start()
    took = h.wait_converged(initial * 1.5 + 180, since=started)
    if took is None:
        baseline.violate([Violation("recovery", "workload", "did not converge")])
    else:
        baseline.recoveries.append(took)
        say(f"converged after {took:.0f} s")
    h.check(baseline, ready_deadline=0.0)
    rows = [baseline]
    if thread is not None:
        thread.join()
        ended = corpus_done[0] if corpus_done else time.monotonic()
        after = h.wait_converged(RECOVERY_BOUND, since=ended)
        if after is None:
            corpus.violate([Violation("recovery", "workload", "not converged after the corpus")])
        else:
            corpus.recoveries.append(after)
        if not h.eventually(lambda: not corpus_left(h), 60):
            corpus.violate(corpus_left(h))
        h.check(corpus)
        corpus.notes.append("applied while the first subscriptions converged")
        rows.append(corpus)
    return rows


# -- kill anywhere --------------------------------------------------------------------------
def window_kill(h: Harness, result: FaultResult) -> bool:
    """Kill the operator the moment the first child (the ConfigMap) of a fresh subscription
    appears, before its Deployment is applied; the proxy slows the operator's requests to
    widen that window. Whether the window was hit (no Deployment at the kill)."""
    name = h.fresh_names(1, "win")[0]
    killed = threading.Event()

    def watch() -> None:
        query = {"fieldSelector": f"metadata.name={name}", "timeoutSeconds": "90"}
        try:
            for kind, _ in h.admin.watch(core("configmaps", workload.SUBS_NS), query, 100):
                if kind == "ADDED":
                    h.kill_operator()
                    killed.set()
                    return
        except (OSError, ApiError) as exc:
            say(f"window watch failed: {exc}")

    watcher = threading.Thread(target=watch, name="window", daemon=True)
    watcher.start()
    time.sleep(0.5)
    h.proxy.delay = WINDOW_DELAY
    try:
        h.subscribe([name])
        seen = killed.wait(90)
    finally:
        h.proxy.delay = 0.0
    if not seen:
        result.notes.append(f"ConfigMap of {name} not seen in 90 s")
        h.kill_operator()
    hit = h.admin.get(apps("deployments", workload.SUBS_NS, name)) is None
    result.injected += 1
    h.start_operator()
    h.recover(result, {}, since=time.monotonic(), bound=RECOVERY_BOUND)
    return hit


def kills(h: Harness) -> list[FaultResult]:
    anywhere = FaultResult("kill anywhere: SIGKILL at a random moment, restarted at once")
    window = FaultResult("kill between two applies: ConfigMap applied, Deployment not yet")
    per_round, _ = kill_plan(h.config.kills, h.config.subscriptions)
    changes = max(5, min(20, h.config.subscriptions // 10))
    done, hits, during_start, rounds, inflight = 0, 0, 0, 0, 0
    while done < h.config.kills:
        rounds += 1
        if rounds % WINDOW_EVERY == 0:
            hits += window_kill(h, window)
            h.check(window)
            done += 1
            continue
        new = h.fresh_names(per_round)
        h.subscribe(new)
        asked = h.change(h.pick(changes, exclude={(workload.SUBS_NS, n) for n in new}))
        time.sleep(h.rng.uniform(0, KILL_DELAY))
        h.kill_operator()
        inflight += bool(h.pending())  # whether the kill fell inside work under way
        h.start_operator()
        done += 1
        anywhere.injected += 1
        if done < h.config.kills and h.rng.random() < 0.25:
            time.sleep(h.rng.uniform(0.2, 4.0))  # again, while it starts up
            h.restart_operator()
            done += 1
            during_start += 1
            anywhere.injected += 1
        took = h.recover(anywhere, asked, since=time.monotonic(), bound=RECOVERY_BOUND)
        if took is not None and took > READY_AFTER_RESTART:
            anywhere.violate(
                [Violation("ready-after-restart", "workload", f"Ready only {took:.0f} s after")]
            )
        h.check(anywhere)
        if done % 10 == 0:
            say(f"{done}/{h.config.kills} kills")
    anywhere.notes.append(
        f"{per_round} new + {changes} changed subscriptions per round; {inflight} kills "
        f"with work under way, {during_start} more during start-up"
    )
    window.notes.append(f"window hit {hits}/{window.injected} (proxy delay {WINDOW_DELAY} s)")
    return [anywhere, window] if window.injected else [anywhere]


# -- the control plane and the connection ------------------------------------------------------
def restart(h: Harness, name: str, *, crash: bool) -> FaultResult:
    how = "SIGKILL and start" if crash else "SIGTERM and start"
    result = FaultResult(f"{name} restart ({how}, same ports)")
    for _ in range(h.config.restarts):
        before = h.change(h.pick(CHANGES))
        time.sleep(h.rng.uniform(0, 1.5))
        restart_component(h.cluster, name, crash=crash, down_seconds=h.rng.uniform(2, 5))
        ended = time.monotonic()
        result.injected += 1
        after = h.change(h.pick(CHANGES))
        h.recover(result, {**before, **after}, since=ended, bound=RECOVERY_BOUND)
        h.check(result)
    result.notes.append(f"{CHANGES} changes just before and {CHANGES} right after each")
    return result


def stall(h: Harness) -> FaultResult:
    result = FaultResult("watch cut without a close: proxy stalls, heals new connections only")
    cut = 0
    for _ in range(h.config.restarts):
        h.proxy.stall()
        asked = h.change(h.pick(CHANGES))
        time.sleep(STALL_SECONDS)
        cut += h.proxy.heal()
        ended = time.monotonic()
        result.injected += 1
        h.recover(result, asked, since=ended, bound=RECOVERY_BOUND)
        h.check(result)
    result.notes.append(
        f"{STALL_SECONDS:.0f} s partition, {cut} connections left cut; {CHANGES} changes each"
    )
    return result


def drop(h: Harness) -> FaultResult:
    result = FaultResult("connections dropped: proxy closes every connection")
    closed = 0
    for _ in range(h.config.restarts):
        before = h.change(h.pick(CHANGES))
        closed += h.proxy.drop()
        ended = time.monotonic()
        after = h.change(h.pick(CHANGES))
        result.injected += 1
        h.recover(result, {**before, **after}, since=ended, bound=RECOVERY_BOUND)
        h.check(result)
    result.notes.append(f"{closed} connections closed; {CHANGES} changes before and after each")
    return result


# -- deletion while down --------------------------------------------------------------------
def deletion(h: Harness) -> FaultResult:
    result = FaultResult("deletion while the operator is down")
    h.watching = False
    h.operator.stop()
    victims = h.pick(5)
    for namespace, name in victims:
        h.admin.delete(it4it("subscriptions", namespace, name))
    others = h.pick(3, exclude=set(victims))
    old = {k: uid_of(h, "desiredproductinstances", k) for k in others}
    for namespace, name in others:
        h.admin.delete(it4it("desiredproductinstances", namespace, name))
    doomed = [k for k in h.expected if k[0] == workload.DOOMED_NS]
    h.admin.delete(core("namespaces", name=workload.DOOMED_NS))
    h.forget([*victims, *doomed])
    time.sleep(2)
    result.injected = 1
    h.start_operator()
    h.watching = True
    started = time.monotonic()

    def waiting() -> list[str]:
        left = []
        for key in victims:
            for path in (
                it4it("subscriptions", *key),
                it4it("desiredproductinstances", *key),
                it4it("actualproductinstances", *key),
                core("configmaps", *key),
                apps("deployments", *key),
            ):
                if h.admin.get(path) is not None:
                    left.append(f"{path} still there")
        for key, uid in old.items():
            if uid_of(h, "desiredproductinstances", key) in ("", uid):
                left.append(f"DesiredProductInstance {key[1]} not created anew")
        if h.admin.get(core("namespaces", name=workload.DOOMED_NS)) is not None:
            left.append(f"namespace {workload.DOOMED_NS} still there")
        return left + h.pending()

    bound = RECOVERY_BOUND + h.config.overrun
    while (left := waiting()) and time.monotonic() - started < bound:
        time.sleep(1.0)
    took = time.monotonic() - started
    if left:
        result.violate([Violation("deletion", "after the restart", w) for w in left[:10]])
        stuck = h.admin.list(it4it("desiredproductinstances", workload.DOOMED_NS))
        result.violate(
            [Violation("finalizer", f"DPI {d['metadata']['name']}", "stuck") for d in stuck]
        )
    else:
        result.recoveries.append(took)
    h.check(result, gone=[workload.DOOMED_NS])
    result.notes.append(
        "5 subscriptions, 3 instances (re-created by their subscriptions) and a namespace "
        f"with {len(doomed)} subscriptions"
    )
    return result


def uid_of(h: Harness, plural: str, key: Key) -> str:
    found = h.admin.get(it4it(plural, *key))
    return str((found or {}).get("metadata", {}).get("uid") or "")


# -- conflicting writers --------------------------------------------------------------------
def writers(h: Harness) -> FaultResult:
    """A person edits spec.replicas of managed Deployments (owned by the operator: taken back,
    through a Drifted Incident and Reapply) and adds an annotation it does not own (kept);
    the same person overwrites the status of subscriptions that then get a spec change (the
    operator's next status write must not be skipped) and of two that do not."""
    result = FaultResult("conflicting writers: a person edits owned and foreign fields")
    rounds = 2 if h.config.kills < 50 else 3
    targets = h.pick(5)
    for number in range(rounds):
        for namespace, name in targets:
            patch = {
                "metadata": {"annotations": {OWNER_NOTE: f"{PERSON} was here, round {number}"}},
                "spec": {"replicas": h.expected[(namespace, name)] + 1},
            }
            h.admin.merge(apps("deployments", namespace, name), patch, manager=PERSON)
            h.broken[f"{namespace}/{name}"] += 1  # a real Drifted Incident each time
        result.injected += len(targets)
        ended = time.monotonic()
        took = wait_repaired(h, result, targets, f"round {number}", ended)
        if took is None:
            result.notes.append(f"stopped after round {number}, not repaired")
            break
        result.recoveries.append(took)
    tampered = h.pick(3, exclude=set(targets))
    alone = h.pick(2, exclude={*targets, *tampered})
    for key in [*tampered, *alone]:
        tamper_status(h, key)
    asked = h.change(tampered)
    result.injected += len(tampered) + len(alone)
    h.recover(result, asked, since=time.monotonic(), bound=RECOVERY_BOUND)
    for key in tampered:
        if phase(h, key) == TAMPERED:
            result.lost.append(f"{key[0]}/{key[1]}: status write skipped after a status edit")
    repaired = [k for k in alone if phase(h, k) != TAMPERED]
    result.notes.append(
        f"{rounds} rounds on 5 Deployments; status edited on 3 changed + 2 unchanged "
        f"subscriptions, {len(repaired)}/2 unchanged repaired before the resync"
    )
    for key in alone:  # leave them as the operator would, for the final check
        if phase(h, key) == TAMPERED:
            h.change([key])
    h.wait_converged(RECOVERY_BOUND)
    h.check(result)
    return result


def tamper_status(h: Harness, key: Key) -> None:
    path = it4it("subscriptions", *key) + "/status"
    h.admin.merge(path, {"status": {"phase": TAMPERED}}, manager=PERSON)


def phase(h: Harness, key: Key) -> str:
    found = h.admin.get(it4it("subscriptions", *key)) or {}
    return str((found.get("status") or {}).get("phase") or "")


def wait_repaired(
    h: Harness, result: FaultResult, targets: list[Key], what: str, since: float
) -> float | None:
    """Until the targets' replicas are taken back, the person's annotation still there, their
    incidents done and the workload converged; seconds since `since`, None after the bound."""

    def left() -> list[str]:
        waiting = []
        incidents = h.admin.list(it4it("incidents"))
        for namespace, name in targets:
            deploy = h.admin.get(apps("deployments", namespace, name)) or {}
            if OWNER_NOTE not in (deploy.get("metadata", {}).get("annotations") or {}):
                result.violate(
                    [
                        Violation(
                            "foreign-field",
                            f"Deployment {namespace}/{name}",
                            f"{OWNER_NOTE} removed",
                        )
                    ]
                )
            if (deploy.get("spec") or {}).get("replicas") != h.expected[(namespace, name)]:
                waiting.append(f"{name}: replicas not taken back")
            for incident in incidents:
                spec, status = incident.get("spec") or {}, incident.get("status") or {}
                mine = (
                    incident["metadata"]["namespace"] == namespace and spec.get("instance") == name
                )
                if mine and status.get("phase") not in DONE_INCIDENT_PHASES:
                    waiting.append(
                        f"{name}: incident {incident['metadata']['name']} {status.get('phase')}"
                    )
        return waiting + h.pending()

    while waiting := left():
        if time.monotonic() - since > RECOVERY_BOUND:
            result.violate([Violation("drift", what, w) for w in waiting[:10]])
            return None
        time.sleep(1.0)
    return time.monotonic() - since


# -- two replicas -----------------------------------------------------------------------------
def leader_election_available() -> bool:
    return any(
        "IT4IT_LEADER_ELECTION" in p.read_text(errors="replace")
        for p in (ROOT / "operator").rglob("*.py")
    )


def changed_and_converged(h: Harness, result: FaultResult, what: str) -> float | None:
    """Spec changes of a few subscriptions, then every one reflected and all Ready."""
    asked = h.change(h.pick(CHANGES))
    took = h.wait_converged(RECOVERY_BOUND)
    if took is None:
        result.violate([Violation("recovery", "replicas", f"not converged {what}")])
    result.lost += h.lost(asked)
    return took


def first_write(h: Harness, user: str, since: dt.datetime) -> float | None:
    """Seconds from `since` to `user`'s first write after it (within the bound)."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_BOUND:
        if taken := writes_of(h, user, since):
            return (taken[0] - since).total_seconds()
        time.sleep(1.0)
    return None


def replicas(h: Harness) -> FaultResult:
    """Two operators with leader election, as two users so the audit log tells them apart:
    only one writes; the active one killed, the standby takes over (target <= 60 s); the killed
    one back as the standby writes nothing."""
    result = FaultResult("two replicas with leader election: the active one killed")
    if not leader_election_available():
        result.skipped = "IT4IT_LEADER_ELECTION is not in operator/ yet: not run"
        return result
    users = (audit.OPERATOR_USER, "it4it-operator-b")
    h.cluster.audited_users = users  # the API server audits both replicas' users from now on
    restart_component(h.cluster, "kube-apiserver")
    # The variable names the Lease ("" would mean the default, it4it-operator): named here.
    env = {**OPERATOR_ENV, "IT4IT_LEADER_ELECTION": LEADER_LEASE}
    h.watching = False
    h.operator.stop()
    h.operator.env = env
    second = h.cluster.user_kubeconfig(users[1], groups=("system:masters",))
    other = OperatorProcess(h.proxied_kubeconfig(second), h.workdir / "operator-b.log", env)
    h.extra_operators.append(other)
    opened = now()
    h.operator.start()
    other.start()
    changed_and_converged(h, result, "with two replicas")
    time.sleep(5)
    writes = {u: writes_of(h, u, opened) for u in users}
    active = [u for u in users if writes[u]]
    result.notes.append(", ".join(f"{u}: {len(writes[u])} writes" for u in users))
    if len(active) != 1:
        result.violate(
            [Violation("one-leader", "replicas", f"{len(active)} replicas wrote: {active}")]
        )
        h.watching = True
        return result
    leader, process = (active[0], h.operator if active[0] == users[0] else other)
    standby = users[1] if leader == users[0] else users[0]
    killed_at, since = now(), time.monotonic()
    process.kill()
    result.injected += 1
    asked = h.change(h.pick(CHANGES))
    takeover = first_write(h, standby, killed_at)
    if takeover is None or takeover > 60:
        result.violate([Violation("takeover", standby, f"took {takeover} s (target <= 60 s)")])
    else:
        result.recoveries.append(takeover)
    took = h.wait_converged(RECOVERY_BOUND, since=since)
    result.lost += h.lost(asked)
    if took is None:
        result.violate([Violation("recovery", "replicas", "not converged after the takeover")])
    restarted = now()
    process.start()  # back, as the standby now
    changed_and_converged(h, result, "with the new leader")
    time.sleep(5)
    late = writes_of(h, leader, restarted)
    if late:
        result.violate([Violation("one-leader", leader, f"{len(late)} writes as the standby")])
    h.watching = True
    h.check(result)
    result.notes.append(
        f"takeover = kill to the standby's first write (audit log); converged {took or 0:.0f} s "
        f"after the kill; the killed one, back as standby, wrote {len(late)} times"
    )
    return result


def writes_of(h: Harness, user: str, since: dt.datetime) -> list[dt.datetime]:
    """When `user` wrote anything but its Lease, from the audit log (rotated files too)."""
    log = h.cluster.audit_log
    files = sorted(log.parent.glob(f"{log.stem}*{log.suffix}"))
    records = [r for f in files for r in audit.read_audit(f, user=user, since=since)]
    return sorted(r.timestamp for r in records if r.verb in audit.WRITES and r.resource != "leases")


# -- all of them ------------------------------------------------------------------------------
RUNNERS: dict[str, Callable[[Harness], list[FaultResult]]] = {
    "kills": kills,
    "apiserver": lambda h: [restart(h, "kube-apiserver", crash=False)],
    "etcd": lambda h: [restart(h, "etcd", crash=True)],
    "stall": lambda h: [stall(h)],
    "drop": lambda h: [drop(h)],
    "deletion": lambda h: [deletion(h)],
    "writers": lambda h: [writers(h)],
    "replicas": lambda h: [replicas(h)],
}


def run_all(h: Harness) -> list[FaultResult]:
    selected = h.config.scenarios
    results = h.results  # filled as the faults finish, so a run cut short still shows them
    results += start_workload(h, "corpus" in selected)
    for name in SCENARIOS:
        if name in RUNNERS and name in selected:
            say(f"scenario {name}")
            started = time.monotonic()
            try:
                rows = RUNNERS[name](h)
            except Exception as exc:  # one scenario's failure must not hide the others' rows
                say(f"scenario {name} aborted:\n{traceback.format_exc()}")
                aborted = FaultResult(f"{name}: aborted")
                aborted.violate([Violation("aborted", name, f"{type(exc).__name__}: {exc}")])
                rows = [aborted]
                h.watching = True
                if h.operator.proc is None or h.operator.proc.poll() is not None:
                    h.start_operator()
            say(f"scenario {name}: {time.monotonic() - started:.0f} s")
            results += rows
    final = FaultResult("final state, after every fault")
    final.injected = sum(r.injected for r in results if not r.skipped)
    h.wait_converged(READY_AFTER_RESTART)
    h.check(final, final=True, gone=[workload.DOOMED_NS] if "deletion" in selected else [])
    findings = h.operator_log_findings()
    final.notes.append(f"operator log: {len(findings)} distinct error lines")
    h.findings = findings
    results.append(final)
    return results


__all__ = ["SCENARIOS", "condition", "run_all"]
