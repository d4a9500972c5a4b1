"""The playbook executor runs real Ansible playbooks (ansible.builtin only) on localhost.

Each real run costs ansible-playbook's start-up, one to three seconds, so there are three of
them (succeeding, failing, hanging) and each test carries a timeout; the pure parts (event
conversion, error output, the straggler sweep) are tested without ansible.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from it4it_operator.controllers.operate.playbook import (
    MAX_EVENTS,
    RUN_MARKER,
    PlaybookResult,
    _output_tail,
    _Recorder,
    kill_marked,
    run_playbook,
    short_event,
)

REAL_ANSIBLE = pytest.mark.timeout(30)
"""A real ansible-playbook run: seconds, not milliseconds."""

SUCCEEDING = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: show the instance
      ansible.builtin.debug:
        msg: "{{ namespace }}/{{ instance }} runs {{ objects | map(attribute='name') | join(',') }}"
    - name: show the environment
      ansible.builtin.debug:
        msg: "{{ lookup('ansible.builtin.env', 'KUBECONFIG') }} {{ lookup('ansible.builtin.env', 'HOME') }}"
    - name: copy the file
      ansible.builtin.copy:
        src: "{{ source }}"
        dest: "{{ dest }}"
        mode: "0600"
"""  # noqa: E501
FAILING = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: look
      ansible.builtin.debug: {msg: looking}
    - name: give up
      ansible.builtin.fail: {msg: the cache is wedged}
    - name: never reached
      ansible.builtin.debug: {msg: unreachable}
"""
HANGING = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: hang
      ansible.builtin.command: sleep 30
"""


@dataclass
class Run:
    result: PlaybookResult
    streamed: list[dict[str, Any]]
    seconds: float
    tmp: Path
    left_in_tmpdir: list[str]


def run(
    playbook: str, extravars: dict[str, Any], tmp: Path, *, timeout: float = 25, **kw: Any
) -> Run:
    """Run with the temp directory moved into `tmp`, to see that nothing is left there."""
    streamed: list[dict[str, Any]] = []
    private = tmp / "tmpdir"
    private.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(private))
        started = time.monotonic()
        result = run_playbook(playbook, extravars, timeout=timeout, on_event=streamed.append, **kw)
        seconds = time.monotonic() - started
    return Run(result, streamed, seconds, tmp, sorted(os.listdir(private)))


@pytest.fixture(scope="module")
def succeeded(tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("playbook")
    (tmp / "source.txt").write_text("restarted by inc-1\n")
    extravars = {
        "namespace": "shop",
        "instance": "my-guestbook",
        "release": "guestbook-1.1.0",
        "objects": [{"kind": "Deployment", "name": "web"}, {"kind": "Service", "name": "web"}],
        "source": str(tmp / "source.txt"),
        "dest": str(tmp / "copied.txt"),
    }
    return run(SUCCEEDING, extravars, tmp, kubeconfig="/etc/it4it/kubeconfig")


@REAL_ANSIBLE
def test_a_playbook_that_succeeds(succeeded: Run) -> None:
    result = succeeded.result
    assert (result.status, result.rc) == ("Succeeded", 0)
    assert result.message == "the playbook succeeded: 3 task(s) ok, 1 changed"
    assert (succeeded.tmp / "copied.txt").read_text() == "restarted by inc-1\n"
    assert succeeded.left_in_tmpdir == []


@REAL_ANSIBLE
def test_events_are_streamed_while_it_runs(succeeded: Run) -> None:
    events = succeeded.result.events
    assert succeeded.streamed == events
    assert [(e["event"], e["task"]) for e in events] == [
        ("TaskStarted", "show the instance"),
        ("TaskSucceeded", "show the instance"),
        ("TaskStarted", "show the environment"),
        ("TaskSucceeded", "show the environment"),
        ("TaskStarted", "copy the file"),
        ("TaskSucceeded", "copy the file"),
    ]
    assert events[1]["message"] == "shop/my-guestbook runs web,web"
    assert events[1]["host"] == "localhost"
    assert events[0]["message"] == "ansible.builtin.debug"
    assert all(set(e) == {"at", "event", "task", "host", "message"} for e in events)
    assert all(e["at"] for e in events)


@REAL_ANSIBLE
def test_kubeconfig_and_a_private_home_reach_the_playbook(succeeded: Run) -> None:
    kubeconfig, home = succeeded.result.events[3]["message"].split()
    assert kubeconfig == "/etc/it4it/kubeconfig"
    assert home.startswith(str(succeeded.tmp / "tmpdir" / "it4it-playbook-"))


@REAL_ANSIBLE
def test_a_failing_task_fails_the_playbook_and_is_named(tmp_path: Path) -> None:
    outcome = run(FAILING, {}, tmp_path)
    result = outcome.result
    assert (result.status, result.rc) == ("Failed", 2)
    assert result.message == "task give up failed on localhost: the cache is wedged"
    assert [(e["event"], e["task"]) for e in result.events][-2:] == [
        ("TaskStarted", "give up"),
        ("TaskFailed", "give up"),
    ]
    assert "never reached" not in {e["task"] for e in result.events}
    assert outcome.left_in_tmpdir == []


@REAL_ANSIBLE
def test_a_hanging_playbook_times_out_and_leaves_no_process(tmp_path: Path) -> None:
    outcome = run(HANGING, {}, tmp_path, timeout=3)
    result = outcome.result
    assert (result.status, result.rc) == ("TimedOut", 254)
    assert result.message.startswith("the playbook ran past its timeout of 3 s")
    assert outcome.seconds < 3 + 3
    assert not [pid for pid in _pids() if _cmdline(pid) == [b"sleep", b"30"]]
    assert outcome.left_in_tmpdir == []


def test_the_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        run_playbook(HANGING, {}, timeout=0, on_event=lambda e: None)


def _event(name: str, **data: Any) -> dict[str, Any]:
    return {"event": name, "created": "2026-01-01T00:00:00+00:00", "event_data": data}


@pytest.mark.parametrize(
    ("event", "short"),
    [
        pytest.param(
            _event("playbook_on_task_start", task="t", task_action="ansible.builtin.copy"),
            {"event": "TaskStarted", "host": None, "message": "ansible.builtin.copy"},
            id="a task start names its module",
        ),
        pytest.param(
            _event("runner_on_ok", task="t", host="h", res={"msg": "hi", "changed": False}),
            {"event": "TaskSucceeded", "host": "h", "message": "hi"},
            id="a result says its msg",
        ),
        pytest.param(
            _event("runner_on_ok", task="t", host="h", res={"objects": [1], "changed": False}),
            {"event": "TaskSucceeded", "host": "h", "message": "objects = [1]"},
            id="a debug of a variable shows it",
        ),
        pytest.param(
            _event("runner_on_ok", task="t", host="h", res={"changed": True, "dest": "/a"}),
            {"event": "TaskSucceeded", "host": "h", "message": 'dest = "/a"'},
            id="a result with one field shows it",
        ),
        pytest.param(
            _event("runner_on_ok", task="t", host="h", res={"changed": True, "a": 1, "b": 2}),
            {"event": "TaskSucceeded", "host": "h", "message": "changed"},
            id="a result with many fields says changed",
        ),
        pytest.param(
            _event(
                "runner_on_failed",
                task="t",
                host="h",
                res={"msg": "non-zero return code", "stderr": "kubectl: not found", "rc": 127},
            ),
            {
                "event": "TaskFailed",
                "host": "h",
                "message": "non-zero return code: kubectl: not found",
            },
            id="a failed command shows its stderr",
        ),
        pytest.param(
            _event("runner_on_failed", task="t", host="h", ignore_errors=True, res={"msg": "x"}),
            {"event": "TaskFailed", "host": "h", "message": "ignored: x"},
            id="an ignored failure says so",
        ),
        pytest.param(
            _event("runner_on_ok", task="t", host="h", res={"msg": "x" * 1000}),
            {"event": "TaskSucceeded", "host": "h", "message": "x" * 299 + "…"},
            id="a long message is cut",
        ),
    ],
)
def test_short_event(event: dict[str, Any], short: dict[str, Any]) -> None:
    assert short_event(event) == {"at": "2026-01-01T00:00:00+00:00", "task": "t"} | short


@pytest.mark.parametrize("name", ["playbook_on_start", "runner_on_start", "verbose", "warning"])
def test_other_events_are_not_passed_on(name: str) -> None:
    assert short_event(_event(name)) is None


def test_the_result_keeps_the_latest_events_and_on_event_gets_all() -> None:
    streamed: list[dict[str, Any]] = []
    recorder = _Recorder(streamed.append)
    for n in range(MAX_EVENTS + 10):
        assert recorder(_event("playbook_on_task_start", task=f"t{n}"))
    assert len(streamed) == MAX_EVENTS + 10
    assert [e["task"] for e in recorder.events] == [f"t{n}" for n in range(10, MAX_EVENTS + 10)]


def test_an_on_event_that_raises_does_not_stop_the_run() -> None:
    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("timeline full")

    recorder = _Recorder(broken)
    assert recorder(_event("runner_on_failed", task="t", host="h", res={"msg": "x"}))
    assert recorder.failure is not None


@pytest.fixture
def marked_sleeper() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    marker = "test" + str(os.getpid())
    env = os.environ | {RUN_MARKER: marker}
    # Its own session, as ansible's workers have: killing a process group would miss it.
    proc = subprocess.Popen(["sleep", "30"], env=env, start_new_session=True)
    yield marker, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_processes_left_by_a_run_are_killed(
    marked_sleeper: tuple[str, subprocess.Popen[bytes]],
) -> None:
    marker, proc = marked_sleeper
    deadline = time.monotonic() + 5
    while RUN_MARKER.encode() + b"=" + marker.encode() not in _environ(proc.pid):
        assert time.monotonic() < deadline, "the sleeper never showed its environment"
        time.sleep(0.01)
    assert kill_marked("another-run") == 0
    assert kill_marked(marker) == 1
    assert proc.wait(timeout=5) == -signal.SIGKILL


@dataclass
class FakeRunner:
    """What _output_tail reads of an ansible_runner.Runner: its stdout."""

    text: str

    @property
    def stdout(self) -> io.StringIO:
        return io.StringIO(self.text)


@pytest.mark.parametrize(
    ("stdout", "said"),
    [
        pytest.param(
            "[ERROR]: couldn't resolve module/action 'ansible.builtin.nosuch'.\n"
            "Origin: /tmp/it4it-playbook-x/project/playbook.yml:3:7\n\n3     - a\n  ^ column 7\n",
            "[ERROR]: couldn't resolve module/action 'ansible.builtin.nosuch'. "
            "Origin: playbook.yml:3:7",
            id="ansible-core 2.19 names the error and where, without the private path",
        ),
        pytest.param(
            "\x1b[0;31mERROR! couldn't resolve module/action 'x'\x1b[0m\n\n"
            "The error appears to be in '/tmp/it4it-playbook-x/project/playbook.yml'\n",
            "ERROR! couldn't resolve module/action 'x'",
            id="older ansible-core says ERROR! in colour",
        ),
        pytest.param(
            "PLAY [all]\n\nTASK [a]\nsomething odd\n",
            "PLAY [all] TASK [a] something odd",
            id="without an error line the last lines are shown",
        ),
        pytest.param("", "no output", id="no output at all"),
    ],
)
def test_an_unparsable_playbook_says_why(stdout: str, said: str) -> None:
    assert _output_tail(FakeRunner(stdout), Path("/tmp/it4it-playbook-x")) == said


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _cmdline(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    except OSError:
        return []


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def test_a_runbook_reaches_the_cluster_as_the_tenant_s_deployer(tmp_path: Path) -> None:
    from it4it_operator.controllers.operate.playbook import impersonating_kubeconfig

    source = tmp_path / "operator.kubeconfig"
    source.write_text(
        yaml.safe_dump(
            {
                "current-context": "op",
                "contexts": [
                    {"name": "op", "context": {"cluster": "c", "user": "operator"}},
                    {"name": "other", "context": {"cluster": "c", "user": "someone"}},
                ],
                "users": [
                    {"name": "operator", "user": {"token": "t"}},
                    {"name": "someone", "user": {"token": "u"}},
                ],
            }
        )
    )
    deployer = "system:serviceaccount:shop:it4it-deployer"
    made = impersonating_kubeconfig(str(source), deployer, tmp_path / "runbook.kubeconfig")
    users = {u["name"]: u["user"] for u in yaml.safe_load(made.read_text())["users"]}
    assert users["operator"] == {"token": "t", "as": deployer}
    assert "as" not in users["someone"], "only the current context's user"
    assert made.stat().st_mode & 0o077 == 0, "a credential: private to the operator"
    in_cluster = impersonating_kubeconfig(None, deployer, tmp_path / "pod.kubeconfig")
    (user,) = yaml.safe_load(in_cluster.read_text())["users"]
    assert user["user"]["as"] == deployer and user["user"]["tokenFile"].endswith("/token")
