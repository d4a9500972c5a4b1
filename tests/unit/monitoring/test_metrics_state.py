"""The state the alerts watch, as the operator serves it: read from the caches on scrape."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from it4it_operator.handlers.metrics import StateCollector


def stalled(flag: bool) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": "False"}]
    if flag:
        conditions.append({"type": "Stalled", "status": "True"})
    return {"status": {"conditions": conditions}}


CACHE: dict[str, list[dict[str, Any]]] = {
    "ActualProductInstance": [
        {"status": {"health": "Healthy"}},
        {"status": {"health": "Healthy"}},
        {"status": {"health": "Degraded"}},
        {"metadata": {"name": "not-yet-seen"}},
    ],
    "DesiredProductInstance": [stalled(True), stalled(False), stalled(True)],
    "Subscription": [
        {"spec": {"offer": "gold"}, "status": {"serviceStatus": {"slaMet": False}}},
        {"spec": {"offer": "gold"}, "status": {"serviceStatus": {"slaMet": True}}},
        {"spec": {"offer": "basic"}, "status": {"serviceStatus": {"slaMet": None}}},
    ],
}


def scrape() -> str:
    registry = CollectorRegistry()
    registry.register(StateCollector(lambda kind: CACHE.get(kind, [])))
    return generate_latest(registry).decode()


def test_instances_are_counted_by_health_with_zeroes_for_the_rest() -> None:
    text = scrape()
    assert 'it4it_instances{health="Healthy"} 2.0' in text
    assert 'it4it_instances{health="Degraded"} 1.0' in text
    assert 'it4it_instances{health="Missing"} 0.0' in text
    assert 'it4it_instances{health="Unknown"} 1.0' in text


def test_stalled_objects_are_counted_per_kind() -> None:
    text = scrape()
    assert 'it4it_stalled_objects{kind="DesiredProductInstance"} 2.0' in text
    assert 'it4it_stalled_objects{kind="Subscription"} 0.0' in text


def test_only_a_measured_breach_counts_and_per_offer() -> None:
    text = scrape()
    assert 'it4it_sla_breached_subscriptions{offer="gold"} 1.0' in text
    assert 'offer="basic"' not in text, "no measurement yet is no breach"
