"""ProductRelease: the versioned, accepted, immutable release package (Integrate -> Deploy).

The product team's CI pipeline writes it: images pinned by digest, the deployment design (inline
manifests with placeholders, or a Helm chart pinned by the digest of its archive), the JSON
Schema of the parameters a deployment may set, release notes, known defects with workarounds and
courses of action, and the runbooks (Ansible playbooks) they run. Once `acceptance.accepted` is
true the spec is frozen by a CEL transition rule, so what was tested is exactly what is deployed;
status.operations, the feedback from Operate, is status and stays writable."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from it4it_operator.api.common import (
    ApiModel,
    CourseOfAction,
    DnsLabel,
    FreeForm,
    ImageByDigest,
    LongText,
    Name,
    Resource,
    SemVer,
    Sha256,
    ShortText,
    StatusBase,
    Text,
    Word,
    cel,
    validations,
)

Severity = Literal["Critical", "Major", "Minor"]

PLAYBOOK_NAMES_A_RUNBOOK = cel(
    "!has(self.courseOfAction) || self.courseOfAction != 'Playbook' || has(self.runbook)",
    "a known defect whose courseOfAction is Playbook must name a runbook",
    field_path=".runbook",
)
RUNBOOKS_EXIST = cel(
    "!has(self.knownDefects) || self.knownDefects.all(d, !has(d.runbook) ||"
    " (has(self.runbooks) && self.runbooks.exists(r, r.name == d.runbook)))",
    "every knownDefects[].runbook must name one of spec.runbooks",
    field_path=".knownDefects",
)
MANIFESTS_XOR_CHART = cel(
    "has(self.manifests) != has(self.chart)",
    "exactly one of spec.manifests or spec.chart must be set (the deployment design is inline "
    "manifests or a Helm chart)",
)
IMMUTABLE_ONCE_ACCEPTED = cel(
    "!has(oldSelf.acceptance) || !oldSelf.acceptance.accepted || self == oldSelf",
    "spec is immutable once acceptance.accepted is true; publish a new ProductRelease",
)


class BuildImage(ApiModel):
    """One container image of the build package."""

    name: DnsLabel = Field(description="Name the manifests use in the $(images.NAME) placeholder.")
    image: ImageByDigest = Field(
        description="Image pinned by digest, registry/repository@sha256:<64 hex>; a tag is "
        "refused because a tag can move and a release must not."
    )


class BuildPackage(ApiModel):
    """The tagged and secured build artefacts of the release."""

    images: list[BuildImage] = Field(
        default_factory=list,
        max_length=50,
        description="Container images, each pinned by digest and named for the manifests.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )


class ManifestMetadata(ApiModel):
    """Metadata of a manifest: a name (placeholders allowed), labels and annotations."""

    model_config = ConfigDict(extra="allow")

    name: Annotated[str, StringConstraints(min_length=1, max_length=253)] = Field(
        description='Object name, usually with a placeholder: "$(instance.name)-web". No '
        "namespace: the operator puts every object in the instance's namespace."
    )


class Manifest(ApiModel):
    """One namespaced Kubernetes object of the deployment design, with placeholders."""

    model_config = ConfigDict(extra="allow")

    api_version: Annotated[str, StringConstraints(min_length=1, max_length=253)] = Field(
        description="apiVersion of the object, e.g. apps/v1."
    )
    kind: Annotated[str, StringConstraints(min_length=1, max_length=63)] = Field(
        description="Kind of the object, e.g. Deployment."
    )
    metadata: ManifestMetadata = Field(description="Object metadata; name is required.")


ChartRepository = Annotated[
    str, StringConstraints(min_length=8, max_length=2048, pattern=r"^(https?|oci)://[^\s]+$")
]
ChartName = Annotated[
    str, StringConstraints(min_length=1, max_length=250, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]


class Chart(ApiModel):
    """A Helm chart as the deployment design, pinned by the sha256 of its archive."""

    repository: ChartRepository = Field(
        description="Chart repository: an HTTP(S) repository (its index.yaml is read, e.g. "
        "https://charts.example.com/stable) or an OCI registry path (oci://registry.example.com"
        "/charts, pulled with helm)."
    )
    name: ChartName = Field(description="Name of the chart in the repository, e.g. guestbook.")
    version: SemVer = Field(
        description="Exact chart version, e.g. 1.2.3 (not a range: a release must not move)."
    )
    digest: Sha256 = Field(
        description="sha256 of the chart archive (.tgz), sha256:<64 hex>; the archive is "
        "verified against it before anything is rendered, and cached by it."
    )
    values: FreeForm | None = Field(
        default=None,
        description="Fixed values for the chart; string values may hold the placeholders "
        "$(params.NAME), $(images.NAME), $(instance.name) and $(instance.namespace). The "
        "validated parameters are merged over them at the top level (objects key by key, "
        "anything else replaced), and helm renders with the result.",
    )


class KnownDefect(ApiModel):
    """A known error with its workaround: a Knowledge Item handed to Operate."""

    model_config = ConfigDict(json_schema_extra=validations(PLAYBOOK_NAMES_A_RUNBOOK))

    id: Word = Field(description="Identifier of the defect, e.g. GB-17.")
    summary: ShortText = Field(description="One line saying what goes wrong.")
    severity: Severity = Field(default="Minor", description="Critical, Major or Minor.")
    symptoms: list[ShortText] = Field(
        default_factory=list,
        max_length=20,
        description="Signs that point to this defect, e.g. CrashLoopBackOff or a log line; "
        "Operate matches them to diagnose incidents.",
    )
    workaround: Text | None = Field(default=None, description="What to do until it is fixed.")
    course_of_action: CourseOfAction | None = Field(
        default=None,
        description="How Operate resolves an incident diagnosed as this defect: Restart, "
        "Rollback, Scale, Reapply, Playbook (runs the runbook named by runbook) or Manual; "
        "absent: Operate's default for the symptom.",
    )
    runbook: Name | None = Field(
        default=None,
        description="Name of the spec.runbooks entry to run; required when courseOfAction "
        "is Playbook.",
    )


class Runbook(ApiModel):
    """An Ansible playbook that resolves a known defect (courseOfAction Playbook)."""

    name: Name = Field(description="Name a known defect's runbook field refers to.")
    playbook: LongText = Field(
        description="The Ansible playbook, as YAML, run against the instance by the Playbook "
        "runbook plugin."
    )
    timeout_seconds: int = Field(
        default=300,
        ge=1,
        le=86400,
        description="How long, in seconds, the playbook may run before the attempt counts as "
        "TimedOut.",
    )


class Acceptance(ApiModel):
    """The verdict of release acceptance; accepted releases are immutable and deployable."""

    accepted: bool = Field(
        default=False,
        description="True once the release passed acceptance; from then on the spec is "
        "immutable and the release may be deployed.",
    )
    accepted_by: ShortText | None = Field(default=None, description="Who accepted the release.")
    tests_passed: int | None = Field(default=None, ge=0, description="Acceptance tests passed.")
    tests_failed: int | None = Field(default=None, ge=0, description="Acceptance tests failed.")


class ProductReleaseSpec(ApiModel):
    """The release package: build package, deployment design, parameters and knowledge."""

    model_config = ConfigDict(
        json_schema_extra=validations(IMMUTABLE_ONCE_ACCEPTED, RUNBOOKS_EXIST, MANIFESTS_XOR_CHART)
    )

    product: DnsLabel = Field(description="The product this is a release of (a DNS label).")
    version: SemVer = Field(description="Semantic version of the release, e.g. 1.1.0.")
    build_package: BuildPackage = Field(
        default_factory=BuildPackage, description="Build artefacts: images pinned by digest."
    )
    parameters: FreeForm | None = Field(
        default=None,
        description="JSON Schema (2020-12) of the values a deployment may set, with defaults; "
        "referenced in manifests as $(params.NAME), and given to a chart as values.",
    )
    manifests: list[Manifest] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Deployment design: namespaced Kubernetes objects with placeholders "
        "$(params.NAME), $(images.NAME), $(instance.name), $(instance.namespace). A value "
        "that is exactly one placeholder keeps the parameter's type. Exclusive with chart.",
    )
    chart: Chart | None = Field(
        default=None,
        description="Deployment design as a Helm chart, rendered with helm template at plan "
        "time; its objects pass the same checks as manifests. Exclusive with manifests.",
    )
    release_notes: LongText | None = Field(default=None, description="What changed, for people.")
    known_defects: list[KnownDefect] = Field(
        default_factory=list,
        max_length=100,
        description="Known errors with workarounds, used by Operate to diagnose incidents.",
    )
    runbooks: list[Runbook] = Field(
        default_factory=list,
        max_length=16,
        description="Ansible playbooks that known defects with courseOfAction Playbook run.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    acceptance: Acceptance | None = Field(
        default=None, description="Acceptance verdict; accepted freezes the spec."
    )

    @model_validator(mode="after")
    def _one_design(self) -> ProductReleaseSpec:
        if (self.manifests is None) == (self.chart is None):
            raise ValueError(MANIFESTS_XOR_CHART["message"])
        return self


class ReleaseOperations(ApiModel):
    """Problem feedback to development: what Operate saw on the instances of this release."""

    incidents: int | None = Field(
        default=None, ge=0, description="Incidents raised on instances of this release."
    )
    by_known_defect: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict,
        max_length=100,
        description="Incidents diagnosed as each known defect, by its id, e.g. {GB-17: 3}.",
    )
    unexplained_symptoms: list[Word] = Field(
        default_factory=list,
        max_length=32,
        description="Symptoms seen that no known defect explains, e.g. OOMKilled: candidates "
        "for new known defects.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )


class ProductReleaseStatus(StatusBase):
    """Observed state of a ProductRelease."""

    digest: Sha256 | None = Field(
        default=None, description="sha256 of the canonical spec, computed by the operator."
    )
    operations: ReleaseOperations | None = Field(
        default=None,
        description="Problem feedback from Operate: incidents, per known defect, and symptoms "
        "no known defect explains.",
    )


class ProductRelease(Resource):
    """A versioned release package: images, manifests or a Helm chart, parameters, knowledge."""

    kind: Literal["ProductRelease"] = Field(default="ProductRelease", description="ProductRelease")
    spec: ProductReleaseSpec = Field(description="The release package, frozen once accepted.")
    status: ProductReleaseStatus = Field(
        default_factory=ProductReleaseStatus, description="Written by the operator."
    )
