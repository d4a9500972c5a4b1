"""Which Product Release an offer is over: semantic version ranges (5.5.2 Define Service Offer).

A Service Offer names a product and a version range rather than one release, so that a newly
accepted release inside the range flows to the catalog and, through it, to subscriptions
(Change an Existing Service Offer). The range syntax is the one people know from npm and Cargo:

    "1.1.0"             exactly 1.1.0 (also "=1.1.0")
    ">=1.0.0 <2.0.0"    every comparator must hold; comparators are separated by spaces or commas
    "^1.2.0"            >=1.2.0 <2.0.0 (^0.2.3 is >=0.2.3 <0.3.0, ^0.0.3 is >=0.0.3 <0.0.4)
    "~1.2.0"            >=1.2.0 <1.3.0
    "*"                 any version
    operators           =, ==, !=, >, >=, <, <=  (a space after the operator is allowed)

Prereleases follow npm: 1.2.0-rc.1 matches only a range that itself names a prerelease of 1.2.0
(">=1.2.0-rc.0"), so a plain ">=1.0.0" never hands consumers a release candidate. Build metadata
("+build.5") is ignored when comparing, as semantic versioning requires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from semver import Version

from it4it_operator.stages.release.wire import dig

_OPERATORS = ("==", "!=", ">=", "<=", "=", ">", "<", "^", "~")  # two-character ones first
_WILDCARDS = frozenset({"*", "x", "X"})
_EXAMPLES = ">=1.0.0 <2.0.0, ^1.2.0, ~1.2.0, 1.1.0 or *"


@dataclass(frozen=True)
class Comparator:
    """One bound of a range, e.g. `>= 1.0.0`; `operator` is one of =, !=, >, >=, <, <=."""

    operator: str
    version: Version

    def accepts(self, version: Version) -> bool:
        order = version.compare(self.version)
        return {
            "=": order == 0,
            "!=": order != 0,
            ">": order > 0,
            ">=": order >= 0,
            "<": order < 0,
            "<=": order <= 0,
        }[self.operator]

    def __str__(self) -> str:
        return f"{self.operator}{self.version}"


@dataclass(frozen=True)
class VersionRange:
    """A parsed range: the version must satisfy every comparator (none means any version)."""

    text: str
    comparators: tuple[Comparator, ...]

    def contains(self, version: Version) -> bool:
        if not all(c.accepts(version) for c in self.comparators):
            return False
        if not version.prerelease:
            return True
        core = (version.major, version.minor, version.patch)
        return any(
            c.version.prerelease and (c.version.major, c.version.minor, c.version.patch) == core
            for c in self.comparators
        )

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ResolvedRelease:
    """The ProductRelease an offer resolves to; `digest` is its status.digest or ""."""

    name: str
    namespace: str
    version: str
    digest: str = ""

    @property
    def ref(self) -> dict[str, str]:
        """The reference a DesiredProductInstance's spec.release holds."""
        return {"namespace": self.namespace, "name": self.name}

    def to_status(self) -> dict[str, str]:
        """The offer's status.release (camelCase wire form)."""
        return {
            "name": self.name,
            "namespace": self.namespace,
            "version": self.version,
            "digest": self.digest,
        }


def parse_version(text: object, *, what: str = "version") -> Version:
    """Parse a semantic version MAJOR.MINOR.PATCH[-pre][+build], or raise ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a semantic version such as 1.2.0, not {text!r}")
    try:
        return Version.parse(text)
    except ValueError:
        raise ValueError(
            f"{what} {text!r} is not a semantic version MAJOR.MINOR.PATCH such as 1.2.0"
        ) from None


def _tokens(text: str) -> list[str]:
    """Split on spaces and commas, gluing a lone operator to the version after it."""
    tokens: list[str] = []
    for word in text.replace(",", " ").split():
        if tokens and tokens[-1] in _OPERATORS:
            tokens[-1] += word
        else:
            tokens.append(word)
    if tokens and tokens[-1] in _OPERATORS:
        raise ValueError(f"version range {text!r} ends with {tokens[-1]!r} and no version")
    return tokens


def _caret_ceiling(version: Version) -> Version:
    if version.major:
        return Version(version.major + 1, 0, 0)
    if version.minor:
        return Version(0, version.minor + 1, 0)
    return Version(0, 0, version.patch + 1)


def _comparators(token: str, text: str) -> list[Comparator]:
    prefix = next((op for op in _OPERATORS if token.startswith(op)), "")
    operator, body = prefix or "=", token[len(prefix) :]
    if body in _WILDCARDS and operator == "=":
        return []
    try:
        version = Version.parse(body)
    except ValueError:
        raise ValueError(
            f"version range {text!r}: {token!r} is not a comparator such as {_EXAMPLES}"
            " (versions are MAJOR.MINOR.PATCH)"
        ) from None
    if operator == "^":
        return [Comparator(">=", version), Comparator("<", _caret_ceiling(version))]
    if operator == "~":
        ceiling = Version(version.major, version.minor + 1, 0)
        return [Comparator(">=", version), Comparator("<", ceiling)]
    return [Comparator("=" if operator == "==" else operator, version)]


def parse_range(text: str) -> VersionRange:
    """Parse a version range, or raise ValueError saying what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"the version range is empty; write one such as {_EXAMPLES}")
    comparators = [c for token in _tokens(text) for c in _comparators(token, text)]
    return VersionRange(text=text.strip(), comparators=tuple(comparators))


def matches(version: str, version_range: str | VersionRange) -> bool:
    """Whether `version` lies in the range; raises ValueError when either does not parse."""
    parsed = (
        version_range if isinstance(version_range, VersionRange) else parse_range(version_range)
    )
    return parsed.contains(parse_version(version))


def resolve_release(
    releases: Sequence[Mapping[str, Any]],
    *,
    product: str,
    version_range: str,
    namespace: str | None = None,
) -> ResolvedRelease | None:
    """The newest accepted ProductRelease of `product` inside `version_range`, or None.

    `releases` are ProductRelease objects (metadata/spec/status). Only releases with
    spec.acceptance.accepted true and no deletionTimestamp count; with `namespace`, only releases
    in that namespace. Equal versions (differing only in build metadata) are ordered by name so
    the answer is stable. Raises ValueError when `version_range` does not parse.
    """
    wanted = parse_range(version_range)
    best: tuple[Version, str, Mapping[str, Any]] | None = None
    for release in releases:
        if dig(release, "spec", "product") != product:
            continue
        if dig(release, "spec", "acceptance", "accepted") is not True:
            continue
        if dig(release, "metadata", "deletionTimestamp"):
            continue
        if namespace is not None and dig(release, "metadata", "namespace") != namespace:
            continue
        try:
            version = parse_version(dig(release, "spec", "version"))
        except ValueError:
            continue
        if not wanted.contains(version):
            continue
        name = str(dig(release, "metadata", "name") or "")
        if best is None or (version, name) > (best[0], best[1]):
            best = (version, name, release)
    if best is None:
        return None
    _, name, newest = best
    return ResolvedRelease(
        name=name,
        namespace=str(dig(newest, "metadata", "namespace") or ""),
        version=str(dig(newest, "spec", "version")),
        digest=str(dig(newest, "status", "digest") or ""),
    )
