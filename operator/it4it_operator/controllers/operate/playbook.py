"""Carry out a "playbook" step: run a release's Ansible runbook and report what it did.

Resolve Issue (IT4IT 5.7.4): "collaborate on the execution of the course of action (e.g., a
Pipeline or Runbook)". The Playbook runbook plugin plans the step (runbook, playbook text,
timeout, extravars); this module runs it with ansible-runner on the operator's own host:
inventory `localhost` over the local connection with the operator's Python. A runbook is the
release's code, so it reaches the cluster as the tenant does, never with the operator's rights:
its KUBECONFIG (built from the operator's, or from the pod's service account) impersonates the
instance namespace's deployer (`impersonate`). Runbooks use ansible.builtin modules (no
collections are installed).

Each run gets a private directory (mode 0700) holding everything ansible writes: HOME, its local
and remote temp, config, playbook, inventory, extravars and artifacts. So it works on a read-only
root file system and as any user, and nothing is left once `run_playbook` returns. A run past its
timeout is stopped and ends TimedOut; afterwards every process the run started is killed, found
by a marker in its environment (ansible's workers start sessions of their own, so killing the
playbook's process group alone would leave a hanging task running).

`run_playbook` blocks until the playbook ends: from async code call it in a worker thread
(`asyncio.to_thread`). `on_event` is called in that same thread, once per task start and result.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shlex
import shutil
import signal
import sys
import sysconfig
import tempfile
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import ansible_runner  # type: ignore[import-untyped]
import yaml
from ansible_runner.exceptions import AnsibleRunnerException  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

PlaybookStatus = Literal["Succeeded", "Failed", "TimedOut"]

MAX_EVENTS = 50
"""Events kept in a PlaybookResult, the latest ones (every event still goes to on_event)."""
MESSAGE_LIMIT = 300
"""Characters of one event's or the result's message."""
PLAYBOOK_FILE = "playbook.yml"
RUN_MARKER = "IT4IT_PLAYBOOK_RUN"
"""Environment variable set to a fresh token in every process of one run."""

EVENT_NAMES = {
    "playbook_on_task_start": "TaskStarted",
    "runner_on_ok": "TaskSucceeded",
    "runner_on_failed": "TaskFailed",
    "runner_on_unreachable": "HostUnreachable",
}
"""The ansible-runner events passed on, by the CamelCase name they get (as timeline events)."""
FAILURES = frozenset({"TaskFailed", "HostUnreachable"})
_STATUSES: dict[str, PlaybookStatus] = {"successful": "Succeeded", "timeout": "TimedOut"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class PlaybookResult:
    """How a playbook run ended: status, ansible-playbook's exit code, one sentence, events.

    `rc` is 0 on success, 2 when a task failed, 4 for a playbook ansible could not parse, 254
    when ansible-runner stopped it (timeout), -1 when it could not be started.
    """

    status: PlaybookStatus
    rc: int
    message: str
    events: list[dict[str, Any]] = field(default_factory=list)


def run_playbook(
    playbook_yaml: str,
    extravars: Mapping[str, Any],
    *,
    timeout: float,
    on_event: Callable[[dict[str, Any]], None],
    kubeconfig: str | None = None,
    impersonate: str | None = None,
) -> PlaybookResult:
    """Run `playbook_yaml` against localhost with `extravars`, for at most `timeout` seconds.

    `on_event` receives each task start and task result as a short dict {at, event, task,
    host, message} while the playbook runs; an exception it raises is logged, not propagated.
    KUBECONFIG is set to `kubeconfig` when given, acting as `impersonate` when that is given
    (the kubeconfig's `as`; without a kubeconfig, built from the pod's service account). Whole
    seconds: the timeout is rounded up, and
    a run past it is stopped within about a second.
    """
    if timeout <= 0:
        raise ValueError(f"the playbook timeout must be positive, not {timeout}")
    seconds = max(1, math.ceil(timeout))
    marker = uuid.uuid4().hex
    recorder = _Recorder(on_event)
    root = Path(tempfile.mkdtemp(prefix="it4it-playbook-"))
    try:
        _prepare(root, playbook_yaml)
        if impersonate:
            kubeconfig = str(impersonating_kubeconfig(kubeconfig, impersonate, root / "kubeconfig"))
        try:
            runner = ansible_runner.run(
                private_data_dir=str(root),
                playbook=PLAYBOOK_FILE,
                inventory=_inventory(),
                extravars=dict(extravars),
                envvars=_environment(root, marker, kubeconfig),
                # Check the timeout every second (pexpect's default is five).
                settings={"pexpect_timeout": 1},
                timeout=seconds,
                quiet=True,
                event_handler=recorder,
                # Without one, ansible-runner replaces the process's SIGTERM and SIGINT
                # handlers when called in the main thread.
                cancel_callback=lambda: False,
            )
        except (AnsibleRunnerException, OSError) as exc:
            return PlaybookResult(
                "Failed",
                -1,
                _line(f"ansible-runner could not run the playbook: {exc}"),
                list(recorder.events),
            )
        finally:
            stragglers = kill_marked(marker)
            if stragglers:
                log.info("killed %d process(es) left by the playbook run", stragglers)
        status = _STATUSES.get(str(runner.status), "Failed")
        rc = -1 if runner.rc is None else int(runner.rc)
        message = _result_message(
            status, rc, seconds=seconds, recorder=recorder, runner=runner, root=root
        )
        return PlaybookResult(status, rc, message, list(recorder.events))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def short_event(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """An ansible-runner event as {at, event, task, host, message}, or None for other events.

    The message of a result is its `msg`, else a command's output, else the variable a debug
    task shows, else ok/changed; an ignored failure says so.
    """
    name = EVENT_NAMES.get(str(event.get("event")))
    if name is None:
        return None
    data = event.get("event_data") or {}
    if name == "TaskStarted":
        message = str(data.get("task_action") or "")
    else:
        message = _result_summary(data.get("res"))
        if name == "TaskFailed" and data.get("ignore_errors"):
            message = f"ignored: {message}"
    return {
        "at": event.get("created"),
        "event": name,
        "task": data.get("task"),
        "host": data.get("host"),
        "message": _line(message),
    }


def kill_marked(marker: str) -> int:
    """SIGKILL every process whose environment carries RUN_MARKER=`marker`; how many were.

    Linux (/proc) only; elsewhere nothing is found. Looks again while new ones appear (a process
    may fork as its parent dies), at most three rounds.
    """
    needle = f"{RUN_MARKER}={marker}".encode()
    killed: set[int] = set()
    for _ in range(3):
        found = [pid for pid in _processes() if pid not in killed and needle in _environ(pid)]
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except (ProcessLookupError, PermissionError):
                pass
    return len(killed)


class _Recorder:
    """ansible-runner's event handler: passes short events on and remembers what matters."""

    def __init__(self, on_event: Callable[[dict[str, Any]], None]) -> None:
        self.on_event = on_event
        self.events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self.failure: dict[str, Any] | None = None
        self.task: str | None = None

    def __call__(self, event: dict[str, Any]) -> bool:
        short = short_event(event)
        if short is None:
            return True  # kept in the artifacts, where ansible-runner reads its stats
        self.events.append(short)
        ignored = bool((event.get("event_data") or {}).get("ignore_errors"))
        if short["event"] == "TaskStarted":
            self.task = short["task"]
        elif short["event"] in FAILURES and not ignored:
            self.failure = short
        try:
            self.on_event(short)
        except Exception:
            log.exception("on_event failed for a %s event of the playbook", short["event"])
        return True


def _prepare(root: Path, playbook_yaml: str) -> None:
    for sub in ("home", "tmp/local", "tmp/remote", "project"):
        (root / sub).mkdir(mode=0o700, parents=True)
    (root / "ansible.cfg").write_text("[defaults]\nretry_files_enabled = False\n")
    (root / "project" / PLAYBOOK_FILE).write_text(playbook_yaml)


def _inventory() -> str:
    return (
        "localhost ansible_connection=local "
        f"ansible_python_interpreter={shlex.quote(sys.executable)}\n"
    )


SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def impersonating_kubeconfig(source: str | None, user: str, path: Path) -> Path:
    """A kubeconfig at `path` (mode 0600) whose current user acts as `user`: the `source`
    kubeconfig's current context, or the pod's service account when there is none."""
    if source:
        config = yaml.safe_load(Path(source).read_text()) or {}
        current = config.get("current-context")
        contexts = {c["name"]: c["context"] for c in config.get("contexts") or []}
        name = (contexts.get(current) or {}).get("user")
        for entry in config.get("users") or []:
            if entry.get("name") == name:
                entry.setdefault("user", {})["as"] = user
    else:
        host = os.environ.get("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "in-cluster",
            "clusters": [
                {
                    "name": "in-cluster",
                    "cluster": {
                        "server": f"https://{host}:{port}",
                        "certificate-authority": str(SERVICE_ACCOUNT_DIR / "ca.crt"),
                    },
                }
            ],
            "users": [
                {
                    "name": "operator",
                    "user": {"tokenFile": str(SERVICE_ACCOUNT_DIR / "token"), "as": user},
                }
            ],
            "contexts": [
                {"name": "in-cluster", "context": {"cluster": "in-cluster", "user": "operator"}}
            ],
        }
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config))
    return path


def _environment(root: Path, marker: str, kubeconfig: str | None) -> dict[str, str]:
    """Everything ansible writes goes under `root`; ansible-playbook is found beside Python."""
    scripts = dict.fromkeys([sysconfig.get_path("scripts"), os.path.dirname(sys.executable)])
    path = os.pathsep.join([*scripts, os.environ.get("PATH", os.defpath)])
    env = {
        RUN_MARKER: marker,
        "PATH": path,
        "HOME": str(root / "home"),
        "TMPDIR": str(root / "tmp"),
        "ANSIBLE_HOME": str(root / "home" / ".ansible"),
        "ANSIBLE_CONFIG": str(root / "ansible.cfg"),
        "ANSIBLE_LOCAL_TEMP": str(root / "tmp" / "local"),
        "ANSIBLE_REMOTE_TEMP": str(root / "tmp" / "remote"),
        "ANSIBLE_NOCOLOR": "1",
    }
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    return env


def _result_summary(res: Any) -> str:
    if not isinstance(res, Mapping):
        return ""
    msg = res.get("msg")
    output = res.get("stderr") or res.get("stdout")
    if msg and output and msg == "non-zero return code":
        return f"{msg}: {output}"
    if msg:
        return str(msg)
    if output:
        return str(output)
    shown = {k: v for k, v in res.items() if not k.startswith("_") and k != "changed"}
    if len(shown) == 1:  # a debug task's variable, or gathered facts
        ((key, value),) = shown.items()
        if key == "ansible_facts":
            return "facts gathered"
        return f"{key} = {json.dumps(value, default=str)}"
    return "changed" if res.get("changed") else "ok"


def _result_message(
    status: PlaybookStatus, rc: int, *, seconds: int, recorder: _Recorder, runner: Any, root: Path
) -> str:
    if status == "TimedOut":
        during = f" during task {recorder.task}" if recorder.task else ""
        return _line(f"the playbook ran past its timeout of {seconds} s{during} and was stopped")
    if status == "Succeeded":
        stats = runner.stats or {}
        ok = sum((stats.get("ok") or {}).values())
        changed = sum((stats.get("changed") or {}).values())
        return f"the playbook succeeded: {ok} task(s) ok, {changed} changed"
    failure = recorder.failure
    if failure is not None:
        return _line(f"task {failure['task']} failed on {failure['host']}: {failure['message']}")
    return _line(f"the playbook failed (rc {rc}): {_output_tail(runner, root)}")


def _output_tail(runner: Any, root: Path) -> str:
    """What ansible said went wrong (a parse error, an unknown module, a missing command): its
    first ERROR line and the Origin after it, else its last lines; no colours, no temp paths."""
    try:
        with runner.stdout as handle:
            text = str(handle.read())
    except (AnsibleRunnerException, OSError):
        return "no output"
    text = _ANSI.sub("", text).replace(f"{root / 'project'}{os.sep}", "")
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [i for i, ln in enumerate(kept) if ln.startswith(("[ERROR]", "ERROR!"))]
    if errors:
        first = errors[0]
        origin = kept[first + 1 : first + 2]
        return " ".join(kept[first : first + 1] + [o for o in origin if o.startswith("Origin:")])
    return " ".join(kept[-3:]) or "no output"


def _line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    flat = " ".join(_ANSI.sub("", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _processes() -> Iterator[int]:
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    own = os.getpid()
    for name in names:
        if name.isdigit() and int(name) != own:
            yield int(name)


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []
