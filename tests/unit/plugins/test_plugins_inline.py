"""The inline renderer fills placeholders into a release's manifests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from it4it_operator.plugins.builtin.inline import PLUGIN, render_manifests
from it4it_operator.plugins.interfaces import RenderContext, RenderError

PARAMS: dict[str, Any] = {
    "replicas": 3,
    "debug": False,
    "db": {"size": "10Gi", "tags": ["a", "b"]},
    "greeting": "hello",
}
IMAGES = {"web": "registry.example.com/web@sha256:" + "a" * 64}


def render_value(value: Any) -> Any:
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "x": value}
    (rendered,) = render_manifests(
        [manifest],
        params=PARAMS,
        images=IMAGES,
        instance_name="my-guestbook",
        instance_namespace="shop",
    )
    return rendered["x"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            "$(params.replicas)", 3, id="a value that is exactly one placeholder keeps its type"
        ),
        pytest.param("$(params.debug)", False, id="a boolean parameter stays a boolean"),
        pytest.param("$(params.db.size)", "10Gi", id="a dotted name reaches a nested value"),
        pytest.param("$(params.db)", {"size": "10Gi", "tags": ["a", "b"]}, id="a whole object"),
        pytest.param(
            "replicas-$(params.replicas)", "replicas-3", id="an embedded placeholder is text"
        ),
        pytest.param("debug=$(params.debug)", "debug=false", id="an embedded boolean is JSON text"),
        pytest.param("$(images.web)", IMAGES["web"], id="an image by name"),
        pytest.param("$(instance.name)-web", "my-guestbook-web", id="the instance name"),
        pytest.param(
            "$(instance.name).$(instance.namespace).svc",
            "my-guestbook.shop.svc",
            id="several placeholders in one string",
        ),
        pytest.param("$(HOSTNAME)", "$(HOSTNAME)", id="a Kubernetes env reference is left alone"),
        pytest.param(["$(params.greeting)", 7], ["hello", 7], id="placeholders inside lists"),
        pytest.param(
            {"$(params.greeting)": "$(params.greeting)"},
            {"$(params.greeting)": "hello"},
            id="keys are never substituted",
        ),
    ],
)
def test_placeholders(value: Any, expected: Any) -> None:
    assert render_value(value) == expected


def test_rendering_never_mutates_its_input() -> None:
    manifests = [
        {
            "kind": "ConfigMap",
            "metadata": {"name": "$(instance.name)"},
            "data": {"db": "$(params.db)"},
        }
    ]
    before = copy.deepcopy(manifests)
    (rendered,) = render_manifests(
        manifests, params=PARAMS, images=IMAGES, instance_name="i", instance_namespace="n"
    )
    rendered["data"]["db"]["size"] = "changed"
    assert manifests == before
    assert PARAMS["db"]["size"] == "10Gi"


@pytest.mark.parametrize(
    ("manifest", "fragments"),
    [
        pytest.param(
            {
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {"replicas": "$(params.nope)"},
            },
            ["manifest 0 (Deployment/web) at spec.replicas", "parameter 'nope' is not set"],
            id="an unknown parameter names the manifest and the field",
        ),
        pytest.param(
            {
                "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {"template": {"spec": {"containers": [{"image": "$(images.api)"}]}}},
            },
            [
                "at spec.template.spec.containers[0].image",
                "image 'api' is not in the build package (images: web)",
            ],
            id="an unknown image names the list index",
        ),
        pytest.param(
            {
                "kind": "ConfigMap",
                "metadata": {"name": "c", "labels": {"app.kubernetes.io/n": "$(instance.uid)"}},
            },
            ['at metadata.labels["app.kubernetes.io/n"]', "$(instance.name)"],
            id="an unknown instance field and a key with dots in the path",
        ),
        pytest.param(
            {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "a-$(params)"}},
            ["at data.x", "$(params.NAME)"],
            id="a placeholder without a name",
        ),
        pytest.param(
            {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "$(params.db.size.x)"}},
            ["parameter 'db.size.x' is not set"],
            id="a dotted name through a non-object",
        ),
    ],
)
def test_unknown_placeholders_are_refused(manifest: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(RenderError) as caught:
        render_manifests(
            [manifest], params=PARAMS, images=IMAGES, instance_name="i", instance_namespace="n"
        )
    (problem,) = caught.value.problems
    for fragment in fragments:
        assert fragment in problem


def test_every_unknown_placeholder_is_listed() -> None:
    manifests: list[Any] = [
        {"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"x": "$(params.x)"}},
        "not an object",
        {"kind": "ConfigMap", "metadata": {"name": "b"}, "data": {"y": "$(images.y)"}},
    ]
    with pytest.raises(RenderError) as caught:
        render_manifests(manifests, params={}, images={}, instance_name="i", instance_namespace="n")
    assert [p.split(" ")[1] for p in caught.value.problems] == ["0", "1", "2"]


def test_the_plugin_renders_a_release_spec() -> None:
    spec = {
        "buildPackage": {"images": [{"name": "web", "image": IMAGES["web"]}]},
        "manifests": [
            {
                "kind": "Pod",
                "metadata": {"name": "$(instance.name)"},
                "spec": {"containers": [{"name": "web", "image": "$(images.web)"}]},
            }
        ],
    }
    context = RenderContext({}, RenderContext.images_of(spec), "my-guestbook", "shop")
    (pod,) = PLUGIN.render(spec, context)
    assert pod["metadata"]["name"] == "my-guestbook"
    assert pod["spec"]["containers"][0]["image"] == IMAGES["web"]


def test_the_plugin_refuses_a_release_without_manifests() -> None:
    with pytest.raises(RenderError, match=r"spec\.manifests"):
        PLUGIN.render({}, RenderContext({}, {}, "i", "n"))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="ab$(). ", max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(data=JSON)
def test_a_manifest_without_placeholders_renders_unchanged(data: Any) -> None:
    """Strings of "ab$(). " hold dollars and parentheses but never spell a placeholder."""
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}
    rendered = render_manifests(
        [manifest], params={}, images={}, instance_name="i", instance_namespace="n"
    )
    assert rendered == [manifest]
