"""Folding object health into the instance's health: the worst verdict wins."""

from __future__ import annotations

import pytest

from it4it_operator.stages.deploy.health import fold, instance_health


@pytest.mark.parametrize(
    ("healths", "expected"),
    [
        pytest.param([], "Healthy", id="an instance with no objects is healthy"),
        pytest.param(["Healthy", "Healthy"], "Healthy", id="all healthy is healthy"),
        pytest.param(["Healthy", "Progressing"], "Progressing", id="one progressing object"),
        pytest.param(["Progressing", "Missing"], "Missing", id="missing outranks progressing"),
        pytest.param(["Missing", "Degraded", "Healthy"], "Degraded", id="degraded outranks all"),
    ],
)
def test_fold(healths: list[str], expected: str) -> None:
    assert fold(healths) == expected


def test_an_unknown_health_is_refused() -> None:
    with pytest.raises(ValueError, match="Sick"):
        fold(["Healthy", "Sick"])


@pytest.mark.parametrize(
    ("healths", "disabled", "expected"),
    [
        pytest.param(["Healthy"], True, "Suspended", id="a disabled instance is suspended"),
        pytest.param(["Progressing"], False, "Progressing", id="an enabled instance folds"),
    ],
)
def test_instance_health(healths: list[str], disabled: bool, expected: str) -> None:
    assert instance_health(healths, disabled=disabled) == expected
