"""The PrometheusRule of manifests/monitoring/ checked by promtool (`check rules`) and unit-tested
by it (`test rules`, rules-test.yaml: every alert fires on synthetic series and stays quiet where
it must); every series it reads is one the operator exports. promtool is built once from its Go
module (devcluster/checktools.py); the test is skipped, saying why, only when it cannot be."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from it4it_operator.devcluster import checktools
from support.monitoring import MONITORING, SCRAPE_SERIES, exported_series, referenced

RULE = MONITORING / "prometheus-rule.yaml"
TESTS = MONITORING / "rules-test.yaml"


def rule() -> dict[str, Any]:
    return dict(yaml.safe_load(RULE.read_text()))


def alerts() -> list[dict[str, Any]]:
    return [r for g in rule()["spec"]["groups"] for r in g["rules"] if "alert" in r]


@pytest.fixture(scope="module")
def promtool() -> Path:
    try:
        return checktools.ensure("promtool")
    except checktools.BuildError as exc:
        pytest.skip(f"promtool cannot be built: {exc}")


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """The rule group as promtool reads it, beside a copy of rules-test.yaml."""
    (tmp_path / "it4it-operator.rules.yaml").write_text(yaml.safe_dump(rule()["spec"]))
    shutil.copy(TESTS, tmp_path / TESTS.name)
    return tmp_path


def test_the_alerts_asked_for_are_there() -> None:
    assert {a["alert"] for a in alerts()} >= {
        "IT4ITOperatorDown",
        "IT4ITReconcileErrorsRising",
        "IT4ITInstancesStalled",
        "IT4ITSLABreached",
        "IT4ITP1IncidentOpen",
    }
    for alert in alerts():
        assert alert["labels"]["severity"] in ("critical", "warning"), alert["alert"]
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]


def test_every_alert_reads_only_series_the_operator_exports() -> None:
    exported = exported_series() | SCRAPE_SERIES
    for alert in alerts():
        names = referenced(alert["expr"])
        assert names, alert["alert"]
        assert names <= exported, f"{alert['alert']}: {names - exported} not exported"


def test_the_synthetic_series_use_the_exported_names() -> None:
    exported = exported_series() | SCRAPE_SERIES
    tests = yaml.safe_load(TESTS.read_text())["tests"]
    for series in (s["series"] for t in tests for s in t["input_series"]):
        assert series.split("{")[0] in exported, series


def test_every_alert_is_fired_by_a_promtool_test() -> None:
    tests = yaml.safe_load(TESTS.read_text())["tests"]
    fired = {
        case["alertname"] for t in tests for case in t["alert_rule_test"] if case.get("exp_alerts")
    }
    assert fired == {a["alert"] for a in alerts()}


def test_promtool_accepts_the_rules(promtool: Path, rules_dir: Path) -> None:
    done = subprocess.run(
        [str(promtool), "check", "rules", str(rules_dir / "it4it-operator.rules.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_fires_each_alert_on_synthetic_series(promtool: Path, rules_dir: Path) -> None:
    done = subprocess.run(
        [str(promtool), "test", "rules", TESTS.name],
        cwd=rules_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr
