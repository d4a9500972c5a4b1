"""The Grafana dashboard of manifests/monitoring/: valid JSON, one panel per figure SREs asked
for, and every query reads series the operator exports."""

from __future__ import annotations

import json
from typing import Any

from support.monitoring import MONITORING, SCRAPE_SERIES, exported_series, referenced

DASHBOARD = MONITORING / "grafana-dashboard.json"


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def expressions() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


def test_the_dashboard_parses_with_unique_panel_ids_and_a_stable_uid() -> None:
    board = dashboard()
    assert board["uid"] == "it4it-operator"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    assert {v["name"] for v in board["templating"]["list"]} == {"datasource", "job"}


def test_every_query_reads_only_series_the_operator_exports() -> None:
    exported = exported_series() | SCRAPE_SERIES
    for expr in expressions():
        names = referenced(expr)
        assert names, expr
        assert names <= exported, f"{expr}: {names - exported} not exported"
        assert 'job=~"$job"' in expr, f"{expr}: not limited to the chosen job"


def test_it_shows_reconciles_errors_queue_health_incidents_and_remediation() -> None:
    used = set().union(*(referenced(e) for e in expressions()))
    assert {
        "it4it_reconcile_total",
        "it4it_reconcile_duration_seconds_bucket",
        "it4it_workqueue_depth",
        "it4it_instances",
        "it4it_open_incidents",
        "it4it_remediation_actions",
        "it4it_stalled_objects",
        "it4it_sla_breached_subscriptions",
    } <= used
    errors = [e for e in expressions() if 'result="error"' in e]
    assert errors, "a panel of reconcile errors"
