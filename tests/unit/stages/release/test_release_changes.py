"""Changing and bundling offers (5.5.1 Change and Bundle scenarios)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from it4it_operator.stages.release.changes import (
    BundleProgress,
    bundle_order,
    bundle_progress,
    terms_changed,
    upgrade_needed,
)
from it4it_operator.stages.release.versions import ResolvedRelease

RESOLVED = ResolvedRelease("guestbook-1.2.0", "team-guestbook", "1.2.0")


@pytest.mark.parametrize(
    ("contract", "version", "expected"),
    [
        pytest.param(
            {"termsVersion": "2026-01"},
            "2026-01",
            False,
            id="a contract on the current terms has no change",
        ),
        pytest.param(
            {"termsVersion": "2026-01"}, "2026-04", True, id="a new terms version is a change"
        ),
        pytest.param(
            None, "2026-04", False, id="a subscription without contract has nothing to change"
        ),
    ],
)
def test_terms_changed(contract: dict[str, str] | None, version: str, expected: bool) -> None:
    assert terms_changed(contract, version) is expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        pytest.param(
            "guestbook-1.1.0",
            True,
            id="a newly accepted release inside the range upgrades the instance",
        ),
        pytest.param("guestbook-1.2.0", False, id="an instance on the resolved release stays"),
        pytest.param(
            "guestbook-1.3.0",
            True,
            id="an instance on a withdrawn newer release follows the offer back",
        ),
        pytest.param(
            None, True, id="an instance not pointed anywhere yet is pointed at the release"
        ),
    ],
)
def test_upgrade_needed(current: str | None, expected: bool) -> None:
    assert upgrade_needed(current, RESOLVED) is expected


def test_bundle_order_keeps_the_listed_order() -> None:
    bundle = [{"offer": "postgres-small"}, {"offer": "guestbook-standard"}]
    assert bundle_order(bundle, offer_name="gb-bundle") == ["postgres-small", "guestbook-standard"]


@pytest.mark.parametrize(
    ("bundle", "fragment"),
    [
        pytest.param(
            [{"offer": "a"}, {"offer": "gb-bundle"}],
            "spec.bundle[1] names the bundle gb-bundle itself",
            id="a bundle that contains itself is refused",
        ),
        pytest.param(
            [{"offer": "a"}, {"offer": "a"}],
            "spec.bundle[1] lists offer a again",
            id="a bundle with a duplicate member is refused",
        ),
        pytest.param(
            [{"offer": "a"}, {}],
            "spec.bundle[1].offer is missing",
            id="a bundle entry without an offer is refused",
        ),
        pytest.param([], "spec.bundle is empty", id="an empty bundle is refused"),
    ],
)
def test_bundle_order_refuses(bundle: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        bundle_order(bundle, offer_name="gb-bundle")


@pytest.mark.parametrize(
    ("member_ready", "expected"),
    [
        pytest.param(
            [False, False, False],
            BundleProgress(0, False),
            id="the first member is brought up first",
        ),
        pytest.param(
            [True, False, False],
            BundleProgress(1, False),
            id="the next member is created once the one before is ready",
        ),
        pytest.param(
            [True, True, True], BundleProgress(3, True), id="a bundle is ready when all members are"
        ),
        pytest.param(
            [False, True, True],
            BundleProgress(0, False),
            id="a member that regresses holds back readiness",
        ),
        pytest.param([], BundleProgress(0, True), id="an empty bundle has nothing to wait for"),
    ],
)
def test_bundle_progress(member_ready: list[bool], expected: BundleProgress) -> None:
    assert bundle_progress(member_ready) == expected
