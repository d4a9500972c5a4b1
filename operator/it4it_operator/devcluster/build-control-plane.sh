#!/usr/bin/env bash
# Builds the local control plane's binaries from their Go modules, once, into a cache keyed by
# version: kube-apiserver, kube-controller-manager, kube-scheduler (k8s.io/kubernetes), etcd
# (go.etcd.io/etcd/server/v3) and kwok (sigs.k8s.io/kwok). Each is built in a throwaway module
# outside the repository. No Docker, no prebuilt downloads: only the Go module proxy.
#
# Usage: hack/build-control-plane.sh            (prints the bin directory on its last line)
# Env:   K8S_VERSION, ETCD_VERSION, KWOK_VERSION, IT4IT_CACHE (default ~/.cache/it4it-operator)
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-0.8.0}"
CACHE="${IT4IT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/it4it-operator}"
ROOT="$CACHE/k8s-v$K8S_VERSION"
BIN="$ROOT/bin"
mkdir -p "$BIN" "$ROOT/src"
export GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

say() { printf '[build-control-plane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Every binary goes to a temporary name first and is renamed when complete, so an interrupted
# build never leaves a half-written binary that looks cached.
build_kubernetes() {
  local want=(kube-apiserver kube-controller-manager kube-scheduler) missing=0
  for b in "${want[@]}"; do [ -x "$BIN/$b" ] || missing=1; done
  [ "$missing" = 1 ] || { say "kubernetes v$K8S_VERSION: cached"; return; }
  local mod="$ROOT/src/kubernetes" minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
  rm -rf "$mod"; mkdir -p "$mod"; cd "$mod"
  go mod init it4it.local/k8s-tools >/dev/null 2>&1
  go mod edit -go=1.26.0
  go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" >/dev/null
  local gomod; gomod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$K8S_VERSION.mod"
  # k8s.io/kubernetes points every staging module at ./staging; pin each to its published v0.X.Y.
  local staging
  staging=$(sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$gomod")
  for m in $staging; do go mod edit -replace "$m=$m@v0.$minor.${K8S_VERSION##*.}"; done
  say "kubernetes v$K8S_VERSION: resolving modules"
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@v$K8S_VERSION"
  local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  for b in "${want[@]}"; do
    say "kubernetes v$K8S_VERSION: compiling $b (first build takes many minutes)"
    go build -trimpath -ldflags "$ld" -o "$BIN/.$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$BIN/.$b.tmp" "$BIN/$b"
  done
}

build_etcd() {
  [ -x "$BIN/etcd" ] && { say "etcd v$ETCD_VERSION: cached"; return; }
  local mod="$ROOT/src/etcd"
  rm -rf "$mod"; mkdir -p "$mod"; cd "$mod"
  # The etcd root module replaces its submodules with local paths, so wrap etcdmain ourselves.
  go mod init it4it.local/etcd >/dev/null 2>&1
  cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  say "etcd v$ETCD_VERSION: resolving and compiling"
  go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$BIN/.etcd.tmp" .
  mv "$BIN/.etcd.tmp" "$BIN/etcd"
}

build_kwok() {
  [ -x "$BIN/kwok" ] && { say "kwok v$KWOK_VERSION: cached"; return; }
  local mod="$ROOT/src/kwok"
  rm -rf "$mod"; mkdir -p "$mod"; cd "$mod"
  go mod init it4it.local/kwok >/dev/null 2>&1
  say "kwok v$KWOK_VERSION: resolving and compiling"
  go get -tool "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v$KWOK_VERSION" \
    -o "$BIN/.kwok.tmp" sigs.k8s.io/kwok/cmd/kwok
  mv "$BIN/.kwok.tmp" "$BIN/kwok"
}

build_etcd
build_kwok
build_kubernetes
say "done: $(du -sh "$BIN" | cut -f1) in $BIN"
echo "$BIN"
