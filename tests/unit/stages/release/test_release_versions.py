"""Version ranges and release resolution (5.5.2 Define Service Offer)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from it4it_operator.stages.release.versions import (
    ResolvedRelease,
    matches,
    parse_range,
    resolve_release,
)


@pytest.mark.parametrize(
    ("version", "version_range", "expected"),
    [
        pytest.param(
            "1.5.0", ">=1.0.0 <2.0.0", True, id="a version inside a two-sided range matches"
        ),
        pytest.param(
            "2.0.0", ">=1.0.0 <2.0.0", False, id="the upper bound of a range is exclusive"
        ),
        pytest.param(
            "1.0.0", ">=1.0.0, <2.0.0", True, id="comparators may be separated by a comma"
        ),
        pytest.param("1.0.0", ">= 1.0.0 < 2.0.0", True, id="a space after an operator is allowed"),
        pytest.param("1.1.0", "1.1.0", True, id="a bare version matches exactly that version"),
        pytest.param("1.1.1", "1.1.0", False, id="a bare version matches no other version"),
        pytest.param("1.1.0", "==1.1.0", True, id="a double equals sign means exactly"),
        pytest.param("1.1.0", "!=1.1.0", False, id="not-equal excludes the version"),
        pytest.param("1.9.9", "^1.2.0", True, id="a caret range allows newer minors"),
        pytest.param("2.0.0", "^1.2.0", False, id="a caret range stops at the next major"),
        pytest.param(
            "0.3.0", "^0.2.3", False, id="a caret range below 1.0.0 stops at the next minor"
        ),
        pytest.param(
            "0.0.4", "^0.0.3", False, id="a caret range below 0.1.0 stops at the next patch"
        ),
        pytest.param("1.2.9", "~1.2.0", True, id="a tilde range allows newer patches"),
        pytest.param("1.3.0", "~1.2.0", False, id="a tilde range stops at the next minor"),
        pytest.param("7.0.0", "*", True, id="a star matches any release"),
        pytest.param("1.1.0+build.7", "1.1.0", True, id="build metadata is ignored"),
        pytest.param(
            "1.5.0-rc.1", ">=1.0.0 <2.0.0", False, id="a prerelease is not picked by a plain range"
        ),
        pytest.param("1.5.0-rc.1", "*", False, id="a star does not match a prerelease"),
        pytest.param(
            "1.5.0-rc.2",
            ">=1.5.0-rc.1",
            True,
            id="a range naming a prerelease of that version admits it",
        ),
        pytest.param(
            "1.6.0-rc.1",
            ">=1.5.0-rc.1",
            False,
            id="a named prerelease admits no prerelease of another version",
        ),
        pytest.param("1.5.0", ">=1.5.0-rc.1", True, id="the final release follows its prereleases"),
    ],
)
def test_matches(version: str, version_range: str, expected: bool) -> None:
    assert matches(version, version_range) is expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "empty", id="an empty range is refused"),
        pytest.param(
            ">=1.0", "'>=1.0' is not a comparator", id="a partial version is named in the message"
        ),
        pytest.param(
            ">=1.0.0 <", "ends with '<' and no version", id="a dangling operator is refused"
        ),
        pytest.param(
            "1.0.0 || 2.0.0", "'||' is not a comparator", id="alternatives are not supported"
        ),
        pytest.param("latest", "'latest' is not a comparator", id="a tag name is not a range"),
    ],
)
def test_parse_range_refuses(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        parse_range(text)


def test_matches_refuses_a_version_that_is_not_semantic() -> None:
    with pytest.raises(ValueError, match=re.escape("'1.0' is not a semantic version")):
        matches("1.0", "*")


def release(
    version: str,
    *,
    product: str = "guestbook",
    accepted: bool = True,
    namespace: str = "team-guestbook",
    deleting: bool = False,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": f"{product}-{version}", "namespace": namespace}
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": metadata,
        "spec": {"product": product, "version": version, "acceptance": {"accepted": accepted}},
        "status": {"digest": f"sha256:{version}"},
    }


@pytest.mark.parametrize(
    ("releases", "expected"),
    [
        pytest.param(
            [release("1.0.0"), release("1.2.0"), release("1.1.0")],
            "guestbook-1.2.0",
            id="the newest accepted release inside the range wins",
        ),
        pytest.param(
            [release("1.1.0"), release("1.2.0", accepted=False)],
            "guestbook-1.1.0",
            id="a release that is not accepted is passed over",
        ),
        pytest.param(
            [release("1.1.0"), release("2.0.0")],
            "guestbook-1.1.0",
            id="a release outside the range is passed over",
        ),
        pytest.param(
            [release("1.1.0"), release("1.3.0-rc.1")],
            "guestbook-1.1.0",
            id="a prerelease is passed over by a plain range",
        ),
        pytest.param(
            [release("1.1.0"), release("1.9.0", product="shop")],
            "guestbook-1.1.0",
            id="a release of another product is passed over",
        ),
        pytest.param(
            [release("1.1.0"), release("1.5.0", namespace="team-other")],
            "guestbook-1.1.0",
            id="a release in another namespace is passed over",
        ),
        pytest.param(
            [release("1.1.0"), release("1.5.0", deleting=True)],
            "guestbook-1.1.0",
            id="a release being deleted is passed over",
        ),
        pytest.param(
            [release("1.1.0"), release("not-a-version")],
            "guestbook-1.1.0",
            id="a release with a malformed version is passed over",
        ),
        pytest.param([release("2.1.0")], None, id="nothing inside the range resolves to nothing"),
        pytest.param([], None, id="no releases at all resolve to nothing"),
    ],
)
def test_resolve_release(releases: list[dict[str, Any]], expected: str | None) -> None:
    resolved = resolve_release(
        releases, product="guestbook", version_range=">=1.0.0 <2.0.0", namespace="team-guestbook"
    )
    assert (resolved.name if resolved else None) == expected


def test_a_resolved_release_carries_what_instances_and_status_need() -> None:
    resolved = resolve_release([release("1.1.0")], product="guestbook", version_range="^1.0.0")
    assert resolved == ResolvedRelease("guestbook-1.1.0", "team-guestbook", "1.1.0", "sha256:1.1.0")
    assert resolved.ref == {"namespace": "team-guestbook", "name": "guestbook-1.1.0"}
    assert resolved.to_status()["version"] == "1.1.0"


def test_equal_versions_resolve_to_the_same_release_whatever_the_order() -> None:
    first, second = release("1.1.0+a"), release("1.1.0+b")
    picks = {
        resolve_release(order, product="guestbook", version_range="*")
        for order in ([first, second], [second, first])
    }
    assert len(picks) == 1
