"""The Helm renderer: values, the chart archive found, verified and cached, helm template run.

A chart repository runs on 127.0.0.1 in this process; the render tests use the real helm
binary (skipped, with the reason, where there is none), the command-line and time-out tests a
stand-in script given through IT4IT_HELM.
"""

from __future__ import annotations

import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from it4it_operator.plugins.builtin.charts import (
    DIGEST_MISMATCH,
    NOT_FOUND,
    TIMED_OUT,
    UNAVAILABLE,
    ChartCache,
    ChartRef,
    Deadline,
    archive_url,
    default_cache_dir,
)
from it4it_operator.plugins.builtin.helm import (
    HelmRenderer,
    chart_values,
    helm_command,
    merge_values,
    parse_objects,
)
from it4it_operator.plugins.interfaces import RenderContext, RenderError
from support.charts import ChartRepository, digest_of, package, write_chart, write_index

IMAGE = "registry.example.com/guestbook/web@sha256:" + "a" * 64
CONTEXT = RenderContext({"replicas": 3}, {"web": IMAGE}, "mine", "shop")


def has_helm() -> bool:
    try:
        helm_command()
    except RenderError:
        return False
    return True


needs_helm = pytest.mark.skipif(
    not has_helm(), reason="no helm binary: set IT4IT_HELM, put helm on PATH or `make binaries`"
)


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[ChartRepository]:
    """guestbook 1.2.3 in a chart repository on 127.0.0.1."""
    with ChartRepository(tmp_path / "repo") as repo:
        archive = package(write_chart(tmp_path / "src"), repo.charts)
        write_index(repo.charts, ("guestbook", "1.2.3", archive.name))
        yield repo


def chart_spec(repo: ChartRepository, **chart: Any) -> dict[str, Any]:
    archive = repo.charts / "guestbook-1.2.3.tgz"
    fields = {
        "repository": repo.url,
        "name": "guestbook",
        "version": "1.2.3",
        "digest": digest_of(archive),
        "values": {"image": "$(images.web)"},
        **chart,
    }
    return {"chart": fields}


def renderer(tmp_path: Path) -> HelmRenderer:
    return HelmRenderer(cache=ChartCache(tmp_path / "cache"))


# -- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixed", "params", "expected"),
    [
        pytest.param({}, {"replicas": 3}, {"replicas": 3}, id="parameters are top-level values"),
        pytest.param(
            {"replicas": 1, "image": "x"},
            {"replicas": 3},
            {"replicas": 3, "image": "x"},
            id="a parameter wins over the fixed value of the same name",
        ),
        pytest.param(
            {"db": {"size": "1Gi", "class": "fast"}},
            {"db": {"size": "10Gi"}},
            {"db": {"size": "10Gi", "class": "fast"}},
            id="objects merge key by key",
        ),
        pytest.param(
            {"tags": ["a", "b"]}, {"tags": ["c"]}, {"tags": ["c"]}, id="a list is replaced whole"
        ),
    ],
)
def test_parameters_are_merged_over_the_fixed_values(
    fixed: dict[str, Any], params: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert merge_values(fixed, params) == expected


def test_fixed_values_take_the_same_placeholders_as_inline_manifests() -> None:
    chart = {
        "values": {
            "image": "$(images.web)",
            "web": {"replicaCount": "$(params.replicas)"},
            "host": "$(instance.name).$(instance.namespace).svc",
        }
    }
    assert chart_values(chart, CONTEXT) == {
        "image": IMAGE,
        "web": {"replicaCount": 3},
        "host": "mine.shop.svc",
        "replicas": 3,
    }


def test_an_unknown_placeholder_in_the_values_names_where_it_is() -> None:
    with pytest.raises(RenderError) as caught:
        chart_values({"values": {"web": {"image": "$(images.api)"}}}, CONTEXT)
    assert "spec.chart.values at web.image" in str(caught.value)
    assert "images: web" in str(caught.value)


# -- the index --------------------------------------------------------------------------------

REF = ChartRef("https://charts.example.com/stable", "guestbook", "1.2.3", "sha256:" + "0" * 64)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "guestbook-1.2.3.tgz",
            "https://charts.example.com/stable/guestbook-1.2.3.tgz",
            id="a relative URL is read against the repository",
        ),
        pytest.param(
            "https://cdn.example.com/guestbook-1.2.3.tgz",
            "https://cdn.example.com/guestbook-1.2.3.tgz",
            id="an absolute URL is used as it is",
        ),
    ],
)
def test_the_index_says_where_the_archive_is(url: str, expected: str) -> None:
    index = {"entries": {"guestbook": [{"version": "1.2.3", "urls": [url]}]}}
    assert archive_url(index, REF) == expected


def test_a_version_missing_from_the_index_lists_those_there_are() -> None:
    index = {"entries": {"guestbook": [{"version": "1.0.0", "urls": ["a.tgz"]}]}}
    with pytest.raises(RenderError) as caught:
        archive_url(index, REF)
    assert caught.value.reason == NOT_FOUND
    assert "no version 1.2.3" in str(caught.value) and "versions: 1.0.0" in str(caught.value)
    assert caught.value.retry_seconds, "the version may still be published"


def test_a_chart_missing_from_the_index_is_not_found() -> None:
    with pytest.raises(RenderError) as caught:
        archive_url({"entries": {"other": []}}, REF)
    assert caught.value.reason == NOT_FOUND
    assert "chart guestbook is not in the index" in str(caught.value)


# -- fetching, verifying, caching -----------------------------------------------------------


def test_a_verified_archive_is_cached_and_a_cache_hit_makes_no_request(
    repository: ChartRepository, tmp_path: Path
) -> None:
    cache = ChartCache(tmp_path / "cache")
    ref = ChartRef.of(chart_spec(repository)["chart"])
    first = cache.fetch(ref, Deadline(10, "test"), ["helm"])
    assert repository.requests == ["/charts/index.yaml", "/charts/guestbook-1.2.3.tgz"]
    assert first.read_bytes() == (repository.charts / "guestbook-1.2.3.tgz").read_bytes()
    assert first.name == ref.digest.removeprefix("sha256:") + ".tgz"

    repository.stop()  # a cache hit needs no repository at all
    assert ChartCache(tmp_path / "cache").fetch(ref, Deadline(10, "test"), ["helm"]) == first


def test_a_damaged_cache_entry_is_fetched_again(
    repository: ChartRepository, tmp_path: Path
) -> None:
    cache = ChartCache(tmp_path / "cache")
    ref = ChartRef.of(chart_spec(repository)["chart"])
    path = cache.fetch(ref, Deadline(10, "test"), ["helm"])
    path.write_bytes(b"not the chart")
    assert cache.fetch(ref, Deadline(10, "test"), ["helm"]).read_bytes() != b"not the chart"
    assert len(repository.requests) == 4


def test_an_archive_with_another_digest_is_refused_naming_both_and_not_cached(
    repository: ChartRepository, tmp_path: Path
) -> None:
    wrong = "sha256:" + "0" * 64
    ref = ChartRef.of(chart_spec(repository, digest=wrong)["chart"])
    cache = ChartCache(tmp_path / "cache")
    with pytest.raises(RenderError) as caught:
        cache.fetch(ref, Deadline(10, "test"), ["helm"])
    actual = digest_of(repository.charts / "guestbook-1.2.3.tgz")
    assert caught.value.reason == DIGEST_MISMATCH
    assert caught.value.retry_seconds is None, "only a new release can fix it"
    message = str(caught.value)
    assert f"has digest {actual}" in message and f"expects {wrong}" in message
    assert not list((tmp_path / "cache").glob("*.tgz"))


def test_an_unreachable_repository_is_unavailable_and_retried(tmp_path: Path) -> None:
    with ChartRepository(tmp_path / "gone") as gone:
        url = gone.url
    ref = ChartRef(url, "guestbook", "1.2.3", "sha256:" + "0" * 64)
    with pytest.raises(RenderError) as caught:
        ChartCache(tmp_path / "cache").fetch(ref, Deadline(10, "test"), ["helm"])
    assert caught.value.reason == UNAVAILABLE
    assert caught.value.retry_seconds
    assert f"GET {url}/index.yaml failed" in str(caught.value)


def test_a_repository_without_an_index_is_unavailable(tmp_path: Path) -> None:
    with ChartRepository(tmp_path / "empty") as empty:
        ref = ChartRef(empty.url, "guestbook", "1.2.3", "sha256:" + "0" * 64)
        with pytest.raises(RenderError) as caught:
            ChartCache(tmp_path / "cache").fetch(ref, Deadline(10, "test"), ["helm"])
    assert caught.value.reason == UNAVAILABLE
    assert "answered 404" in str(caught.value)


def test_the_cache_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IT4IT_CHART_CACHE", str(tmp_path / "charts"))
    assert default_cache_dir() == tmp_path / "charts"
    monkeypatch.delenv("IT4IT_CHART_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "it4it-operator" / "charts"


# -- helm template ----------------------------------------------------------------------------


@needs_helm
def test_the_chart_renders_with_parameters_images_and_the_instance(
    repository: ChartRepository, tmp_path: Path
) -> None:
    objects = renderer(tmp_path).render(chart_spec(repository), CONTEXT)
    by_kind = {o["kind"]: o for o in objects}
    assert sorted(by_kind) == ["ConfigMap", "Deployment"], "hooks and chart tests are left out"
    deployment = by_kind["Deployment"]
    assert deployment["metadata"]["name"] == "mine-web"
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE
    assert by_kind["ConfigMap"]["data"] == {"greeting": "hello", "namespace": "shop"}


@needs_helm
def test_a_render_is_remembered_and_made_again_for_other_values(
    repository: ChartRepository, tmp_path: Path
) -> None:
    helm = renderer(tmp_path)
    first = helm.render(chart_spec(repository), CONTEXT)
    first[0]["metadata"]["name"] = "changed by a caller"
    again = helm.render(chart_spec(repository), CONTEXT)
    assert again[0]["metadata"]["name"] != "changed by a caller", "each caller gets a copy"
    other = helm.render(
        chart_spec(repository), RenderContext({"replicas": 5}, {"web": IMAGE}, "b", "shop")
    )
    assert {o["kind"]: o for o in other}["Deployment"]["spec"]["replicas"] == 5
    assert len(repository.requests) == 2, "the archive was fetched once"


@needs_helm
def test_a_template_error_is_a_render_failure_with_helms_words(
    tmp_path: Path,
) -> None:
    with ChartRepository(tmp_path / "repo") as repo:
        broken = {"templates/broken.yaml": "kind: {{ .Values.missing.field }}\n"}
        archive = package(write_chart(tmp_path / "src"), repo.charts, extra=broken)
        write_index(repo.charts, ("guestbook", "1.2.3", archive.name))
        with pytest.raises(RenderError) as caught:
            renderer(tmp_path).render(chart_spec(repo), CONTEXT)
    assert caught.value.reason == "RenderFailed"
    assert caught.value.retry_seconds is None
    message = str(caught.value)
    assert message.startswith("helm template of chart guestbook 1.2.3 from http://127.0.0.1:")
    assert "broken.yaml" in message and "nil pointer" in message


def stand_in_helm(tmp_path: Path, body: str) -> Path:
    """An executable Python script that answers like helm would; it records its arguments."""
    script = tmp_path / "helm"
    script.write_text(
        f"#!{sys.executable}\nimport sys, time, pathlib\n"
        f"pathlib.Path({str(tmp_path / 'args')!r}).write_text('\\n'.join(sys.argv[1:]))\n" + body
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_helm_template_is_given_the_instance_the_values_and_no_hooks(
    repository: ChartRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n"
    monkeypatch.setenv("IT4IT_HELM", str(stand_in_helm(tmp_path, f"print({document!r})")))
    objects = renderer(tmp_path).render(chart_spec(repository), CONTEXT)
    assert objects == [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mine"}}]
    args = (tmp_path / "args").read_text().splitlines()
    assert args[:2] == ["template", "mine"]
    assert args[args.index("--namespace") + 1] == "shop"
    assert "--no-hooks" in args
    assert args[2].endswith(".tgz") and "cache" in args[2], "the verified, cached archive"


def test_helm_that_takes_too_long_is_stopped_and_retried(
    repository: ChartRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IT4IT_HELM", str(stand_in_helm(tmp_path, "time.sleep(30)")))
    monkeypatch.setenv("IT4IT_HELM_TIMEOUT", "1")
    with pytest.raises(RenderError) as caught:
        renderer(tmp_path).render(chart_spec(repository), CONTEXT)
    assert caught.value.reason == TIMED_OUT
    assert caught.value.retry_seconds
    assert "did not finish within 1s" in str(caught.value)


def test_an_oci_chart_is_pulled_with_helm_and_verified(
    repository: ChartRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = repository.charts / "guestbook-1.2.3.tgz"
    pull = (
        "dest = sys.argv[sys.argv.index('--destination') + 1]\n"
        f"pathlib.Path(dest, 'guestbook-1.2.3.tgz').write_bytes(pathlib.Path({str(archive)!r})"
        ".read_bytes())\n"
    )
    monkeypatch.setenv("IT4IT_HELM", str(stand_in_helm(tmp_path, pull)))
    cache = ChartCache(tmp_path / "cache")
    ref = ChartRef("oci://registry.example.com/charts", "guestbook", "1.2.3", digest_of(archive))
    path = cache.fetch(ref, Deadline(10, "test"), helm_command())
    assert path.read_bytes() == archive.read_bytes()
    args = (tmp_path / "args").read_text().splitlines()
    assert args[:4] == ["pull", "oci://registry.example.com/charts/guestbook", "--version", "1.2.3"]
    assert repository.requests == [], "OCI charts do not read an index"


def test_an_oci_chart_helm_cannot_find_is_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = (
        "sys.stderr.write('Error: registry.example.com/charts/guestbook:9.9.9: not found\\n')\n"
    )
    failing += "sys.exit(1)\n"
    monkeypatch.setenv("IT4IT_HELM", str(stand_in_helm(tmp_path, failing)))
    ref = ChartRef("oci://registry.example.com/charts", "guestbook", "9.9.9", "sha256:" + "0" * 64)
    with pytest.raises(RenderError) as caught:
        ChartCache(tmp_path / "cache").fetch(ref, Deadline(10, "test"), helm_command())
    assert caught.value.reason == NOT_FOUND
    assert "guestbook:9.9.9: not found" in str(caught.value)


def test_helm_output_is_split_into_objects_and_lists_unpacked() -> None:
    text = (
        "---\n# Source: a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n---\n"
    )
    assert [o["metadata"]["name"] for o in parse_objects(text, REF)] == ["a", "b"]


def test_no_helm_anywhere_is_said_plainly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("IT4IT_HELM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("IT4IT_CACHE", str(tmp_path))
    monkeypatch.delenv("KUBEBUILDER_ASSETS", raising=False)
    with pytest.raises(RenderError) as caught:
        helm_command()
    assert "set IT4IT_HELM or put helm on PATH" in str(caught.value)
