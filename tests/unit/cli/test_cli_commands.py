"""The read commands' tables and the plugin's name, without a cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from it4it_operator.cli import build_parser, main, program_name
from it4it_operator.cli.history import history_of, history_table
from it4it_operator.cli.incidents import by_urgency, incident_table

DATA = Path(__file__).parents[2] / "data" / "cli"


def test_run_as_kubectl_it4it_it_names_itself_as_kubectl_does() -> None:
    assert program_name("/venv/bin/kubectl-it4it") == "kubectl it4it"
    assert program_name("/venv/bin/it4it") == "it4it"


def test_every_read_command_takes_the_kubectl_flags_and_an_output_format() -> None:
    parser = build_parser()
    for argv in (
        ["catalog"],
        ["status", "sub/x"],
        ["history", "dpi/x"],
        ["incidents"],
    ):
        args = parser.parse_args(
            [*argv, "--kubeconfig", "k", "--context", "c", "-n", "ns", "-o", "yaml"]
        )
        assert (args.kubeconfig, args.context, args.namespace, args.output) == (
            "k",
            "c",
            "ns",
            "yaml",
        )
    assert parser.parse_args(["incidents", "-A"]).all_namespaces
    assert parser.parse_args(["plugins", "-o", "json"]).output == "json"


def test_a_status_target_without_a_kind_is_a_usage_error_before_any_connection(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["status", "mine", "--kubeconfig", "/nonexistent"]) == 1
    assert "KIND/NAME" in capsys.readouterr().err


def test_a_missing_kubeconfig_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["incidents", "--kubeconfig", str(tmp_path / "none")]) == 1
    assert "kubeconfig" in capsys.readouterr().err


def test_history_lists_each_deployment_with_its_short_plan_hash() -> None:
    dpi = json.loads((DATA / "ready-dpi.json").read_text())
    lines = history_table(history_of(dpi)).splitlines()
    assert lines[0].split() == ["AT", "RELEASE", "PLAN", "RESULT", "MESSAGE"]
    assert [line.split()[1:4] for line in lines[1:]] == [
        ["guestbook-1-0-0", "0b89ec8153", "Applied"],
        ["guestbook-1-0-0", "0b89ec8153", "Succeeded"],
    ]
    assert history_table([]) == "No deployments yet."


def test_incidents_are_listed_most_urgent_first_closed_ones_on_request() -> None:
    def inc(name: str, priority: str, phase: str) -> dict[str, object]:
        return {
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"instance": "mine"},
            "status": {"priority": priority, "phase": phase},
        }

    found = [inc("b", "P3", "Resolving"), inc("a", "P1", "Detected"), inc("c", "P1", "Closed")]
    assert [i["metadata"]["name"] for i in by_urgency(found)] == ["a", "b"]
    assert [i["metadata"]["name"] for i in by_urgency(found, closed=True)] == ["a", "c", "b"]
    table = incident_table(by_urgency(found)).splitlines()
    assert table[0].split()[:3] == ["NAMESPACE", "NAME", "PRIORITY"]
    assert table[1].split()[:4] == ["shop", "a", "P1", "Detected"]
