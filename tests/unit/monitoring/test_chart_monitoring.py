"""The chart renders the alerts and the dashboard from manifests/monitoring/ (never a copy) only
when asked, with the operator's scrape job put into every rule; kustomize renders them too."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from it4it_operator.devcluster import tools
from support.monitoring import MONITORING

CHART = MONITORING.parents[1] / "charts" / "it4it-operator"
ON = (
    "--set",
    "monitoring.prometheusRule.enabled=true",
    "--set",
    "monitoring.grafanaDashboard.enabled=true",
)


def binary(name: str) -> Path:
    path = tools.binary(name)
    if not path.is_file():
        pytest.skip(f"{name} is fetched by `make binaries` (it4it cluster build)")
    return path


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary("helm")), *args], capture_output=True, text=True, check=check)


def rendered(*args: str) -> list[dict[str, Any]]:
    out = helm("template", "it4it", str(CHART), "--namespace", "ops", *args).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def test_nothing_of_monitoring_is_rendered_by_default() -> None:
    docs = rendered()
    assert of_kind(docs, "PrometheusRule") == []
    assert not [d for d in of_kind(docs, "ConfigMap") if "grafana_dashboard" in str(d)]


def test_the_rule_is_the_files_rule_with_the_chosen_scrape_job() -> None:
    docs = rendered(*ON, "--set", "monitoring.prometheusRule.job=ops/it4it")
    (rule,) = of_kind(docs, "PrometheusRule")
    source = yaml.safe_load((MONITORING / "prometheus-rule.yaml").read_text())
    text = json.dumps(source["spec"]).replace('job=\\"it4it-operator\\"', 'job=\\"ops/it4it\\"')
    assert rule["spec"] == json.loads(text)
    assert 'it4it-operator\\"' not in json.dumps(rule["spec"])
    assert rule["metadata"]["namespace"] == "ops"


def test_the_dashboard_configmap_carries_the_file_for_grafanas_sidecar() -> None:
    docs = rendered(
        *ON, "--set-string", "monitoring.grafanaDashboard.annotations.grafana_folder=it4it"
    )
    (board,) = [
        d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-dashboard")
    ]
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert board["metadata"]["annotations"] == {"grafana_folder": "it4it"}
    source = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    assert json.loads(board["data"]["it4it-operator.json"]) == source


def test_helm_lint_passes_with_monitoring_on_and_refuses_a_quoted_job() -> None:
    assert helm("lint", "--strict", str(CHART), *ON).returncode == 0
    bad = helm(
        "lint", "--strict", str(CHART), "--set", 'monitoring.prometheusRule.job=a"b', check=False
    )
    assert bad.returncode != 0
    assert "job" in bad.stdout + bad.stderr


def test_kustomize_renders_the_rule_and_the_dashboard() -> None:
    out = tools.kubectl(Path("/dev/null"), "kustomize", str(MONITORING)).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert {d["kind"] for d in docs} == {"PrometheusRule", "ConfigMap"}
    (board,) = of_kind(docs, "ConfigMap")
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(board["data"]["it4it-operator.json"])["uid"] == "it4it-operator"
