#!/usr/bin/env bash
# `make image`: the operator image from Containerfile, as an OCI archive
# dist/it4it-operator-<version>.oci.tar that `docker load` and `podman load` accept, named like
# the chart (charts/it4it-operator/values.yaml image.repository, tag = appVersion) and the
# kustomize base (manifests/operator/10-deployment.yaml). See images/README.md.
#
# The builder: docker or podman when one works (`docker info` / `podman info`), else buildah
# with --isolation chroot (no daemon, no runtime), on a Debian bookworm base with python3.11
# that this script makes with mmdebstrap. buildah and mmdebstrap are installed with apt-get
# when missing (root only). IMAGE_BUILDER=docker|podman|buildah forces one.
#
# Environment: PYTHON (default .venv/bin/python), IMAGE (repository), TAG (default: version),
# IT4IT_REBUILD_BASE=1 (make the mmdebstrap base again), WHEEL_ARCH (default: this machine's,
# `uname -m`; wheels for glibc <= 2.36, as Debian bookworm and python:3.11-slim-bookworm have).
#
# `images/build.sh --install-tools` only installs buildah and mmdebstrap where no engine works
# (CI does, so tests/integration/test_image.py can run the image).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -1)
IMAGE=${IMAGE:-ghcr.io/it4it-operator/it4it-operator}
TAG=${TAG:-$VERSION}
REFERENCE="$IMAGE:$TAG"
ARCHIVE="dist/it4it-operator-$VERSION.oci.tar"
CONTEXT=build/image
BASE_IMAGE=localhost/it4it-operator-base:bookworm-python3.11
SOURCE=https://github.com/it4it-operator/it4it-operator
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  REVISION="$REVISION-dirty"
fi
# The commit's time, not now: the same commit labels the same creation date.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
DEBIAN_SOURCES=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)

say() { echo "[make image] +$(( $(date +%s) - started ))s $*" >&2; }
started=$(date +%s)

works() { command -v "$1" >/dev/null 2>&1 && "$1" info >/dev/null 2>&1; }
builder=${IMAGE_BUILDER:-}
if [ -z "$builder" ]; then
  if works docker; then builder=docker
  elif works podman; then builder=podman
  else builder=buildah
  fi
fi

install_debian_tools() {
  local missing=()
  command -v buildah >/dev/null || missing+=(buildah)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "no docker or podman engine works here, and ${missing[*]} are missing:"
    say "install docker or podman, or (Debian/Ubuntu) apt-get install buildah mmdebstrap"
    exit 2
  fi
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    buildah mmdebstrap uidmap >/dev/null
}

if [ "${1:-}" = --install-tools ]; then
  [ "$builder" = buildah ] && install_debian_tools
  exit 0
fi

# The base: Debian bookworm's essential packages plus python3.11 with venv and CA certificates,
# without docs, man pages and locales. Made once and kept in buildah's storage.
make_base() {
  if [ "${IT4IT_REBUILD_BASE:-}" != 1 ] && buildah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
    say "base $BASE_IMAGE exists (IT4IT_REBUILD_BASE=1 makes it again)"
    return
  fi
  say "making the base $BASE_IMAGE with mmdebstrap (a few minutes)"
  local tmp ctr
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mmdebstrap --quiet --variant=essential --mode=root \
    --include=python3.11,python3.11-venv,ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$tmp/rootfs.tar" "${DEBIAN_SOURCES[@]}"
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$tmp/rootfs.tar" / >/dev/null
  buildah config --env PATH=/usr/local/bin:/usr/bin:/bin --cmd /bin/bash \
    --label org.opencontainers.image.description="Debian bookworm essential + python3.11 (mmdebstrap)" \
    "$ctr"
  buildah commit --quiet --rm "$ctr" "$BASE_IMAGE" >/dev/null
}

# The build context: the wheel, the runtime lock with its wheels, helm; nothing else.
WHEEL_ARCH=${WHEEL_ARCH:-$(uname -m)}
platforms=()  # pip download does not widen --platform to older glibc versions by itself
for glibc in $(seq 36 -1 17); do platforms+=(--platform "manylinux_2_${glibc}_$WHEEL_ARCH"); done
platforms+=(--platform "manylinux2014_$WHEEL_ARCH")
say "context $CONTEXT: the wheel, requirements/lock.txt and its wheels ($WHEEL_ARCH), helm"
rm -rf "$CONTEXT"
mkdir -p "$CONTEXT/wheels" dist
"$PYTHON" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$CONTEXT" . >/dev/null
cp requirements/lock.txt "$CONTEXT/lock.txt"
"$PYTHON" -m pip download --quiet --require-hashes --only-binary :all: --no-deps \
  "${platforms[@]}" --python-version 3.11 --implementation cp --abi cp311 \
  -r requirements/lock.txt -d "$CONTEXT/wheels"
helm=$("$PYTHON" -c 'from it4it_operator.devcluster import tools; print(tools.fetched("helm"))')
cp "$helm" "$CONTEXT/helm"

args=(
  --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION"
  --build-arg "CREATED=$CREATED" --build-arg "SOURCE=$SOURCE"
  -f Containerfile -t "$REFERENCE"
)
rm -f "$ARCHIVE"
case "$builder" in
  docker)
    say "building $REFERENCE with docker"
    docker build "${args[@]}" "$CONTEXT"
    docker save -o "$ARCHIVE" "$REFERENCE"   # Docker >= 25 writes an OCI layout too
    ;;
  podman)
    say "building $REFERENCE with podman"
    podman build "${args[@]}" "$CONTEXT"
    podman save --format oci-archive -o "$ARCHIVE" "$REFERENCE"
    ;;
  buildah)
    install_debian_tools
    make_base
    say "building $REFERENCE with buildah --isolation chroot on $BASE_IMAGE"
    buildah build --quiet --isolation chroot --layers=false --build-arg "BASE=$BASE_IMAGE" \
      "${args[@]}" "$CONTEXT" >/dev/null
    say "writing $ARCHIVE"
    buildah push --quiet "$REFERENCE" "oci-archive:$ARCHIVE:$REFERENCE"
    buildah rmi --prune >/dev/null 2>&1 || true  # the images this tag pointed at before
    ;;
  *)
    say "IMAGE_BUILDER=$builder: docker, podman or buildah"
    exit 2
    ;;
esac
[ "$builder" = docker ] || "$PYTHON" images/loadable.py "$ARCHIVE" "$REFERENCE"

size=$(du -m "$ARCHIVE" | cut -f1)
say "$ARCHIVE: $REFERENCE, ${size} MiB, built by $builder in $(( $(date +%s) - started ))s"
echo "$ARCHIVE"
