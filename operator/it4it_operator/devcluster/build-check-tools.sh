#!/usr/bin/env bash
# Builds the two checkers the GitOps and monitoring tests run, once, into a cache keyed by
# version, each in a throwaway Go module outside the repository (as build-control-plane.sh):
#
#   kstatus   a small main over sigs.k8s.io/cli-utils/pkg/kstatus/status: reads Kubernetes
#             objects (YAML or JSON, several documents) from files or stdin and prints, per
#             object, "<kind>/<namespace>/<name> <status> <message>" as Flux and
#             `kubectl wait`-style tools compute it (Current, InProgress, Failed, ...)
#   promtool  github.com/prometheus/prometheus/cmd/promtool, for `promtool check rules` and
#             `promtool test rules`
#
# Usage: build-check-tools.sh [kstatus] [promtool]   (both when none is named; prints the bin
#        directory on its last line)
# Env:   KSTATUS_VERSION (cli-utils), PROMETHEUS_VERSION (the Go module's v0.3XX.Y tag),
#        IT4IT_CACHE (default ~/.cache/it4it-operator)
set -euo pipefail

KSTATUS_VERSION="${KSTATUS_VERSION:-0.37.2}"
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-0.316.0}"
CACHE="${IT4IT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/it4it-operator}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

say() { printf '[build-check-tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# As in build-control-plane.sh: a temporary name first, renamed when complete.
build_kstatus() {
  local root="$CACHE/kstatus-v$KSTATUS_VERSION" started=$SECONDS
  mkdir -p "$root/bin"
  exec 9>"$root/.lock"; flock 9   # one build at a time; a second caller waits, then finds it
  [ -x "$root/bin/kstatus" ] && { say "kstatus (cli-utils v$KSTATUS_VERSION): cached"; return; }
  local mod="$root/src"
  rm -rf "$mod"; mkdir -p "$mod"; cd "$mod"
  go mod init it4it.local/kstatus >/dev/null 2>&1
  cat > main.go <<'GO'
// kstatus prints the kstatus verdict (sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute) of
// every Kubernetes object in the YAML or JSON files named on the command line, or on stdin.
// One line per object: KIND/NAMESPACE/NAME STATUS MESSAGE. Exit 1 on unreadable input.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func report(r io.Reader) error {
	decoder := utilyaml.NewYAMLOrJSONDecoder(bufio.NewReader(r), 4096)
	for {
		var raw json.RawMessage
		if err := decoder.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		// The unstructured JSON scheme keeps integers int64, as the API server sends them.
		obj, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
		if err != nil {
			return err
		}
		switch o := obj.(type) {
		case *unstructured.UnstructuredList:
			for i := range o.Items {
				if err := show(&o.Items[i]); err != nil {
					return err
				}
			}
		case *unstructured.Unstructured:
			if err := show(o); err != nil {
				return err
			}
		}
	}
}

func show(u *unstructured.Unstructured) error {
	result, err := status.Compute(u)
	if err != nil {
		return fmt.Errorf("%s/%s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	fmt.Printf("%s/%s/%s %s %s\n", u.GetKind(), u.GetNamespace(), u.GetName(), result.Status, result.Message)
	return nil
}

func main() {
	var err error
	if len(os.Args) < 2 {
		err = report(os.Stdin)
	}
	for _, name := range os.Args[1:] {
		f, openErr := os.Open(name)
		if openErr != nil {
			err = openErr
			break
		}
		err = report(f)
		f.Close()
		if err != nil {
			break
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kstatus:", err)
		os.Exit(1)
	}
}
GO
  say "kstatus (cli-utils v$KSTATUS_VERSION): resolving and compiling"
  go get "sigs.k8s.io/cli-utils@v$KSTATUS_VERSION"
  go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$root/bin/.kstatus.tmp" .
  mv "$root/bin/.kstatus.tmp" "$root/bin/kstatus"
  say "kstatus: built in $((SECONDS - started)) s"
}

build_promtool() {
  local root="$CACHE/promtool-v$PROMETHEUS_VERSION" started=$SECONDS
  mkdir -p "$root/bin"
  exec 9>"$root/.lock"; flock 9
  [ -x "$root/bin/promtool" ] && { say "promtool (prometheus v$PROMETHEUS_VERSION): cached"; return; }
  local mod="$root/src"
  rm -rf "$mod"; mkdir -p "$mod"; cd "$mod"
  go mod init it4it.local/promtool >/dev/null 2>&1
  say "promtool (prometheus v$PROMETHEUS_VERSION): resolving modules (a large dependency tree)"
  go get -tool "github.com/prometheus/prometheus/cmd/promtool@v$PROMETHEUS_VERSION"
  say "promtool: compiling (the first build takes several minutes)"
  go build -trimpath -ldflags "-s -w" -o "$root/bin/.promtool.tmp" \
    github.com/prometheus/prometheus/cmd/promtool
  mv "$root/bin/.promtool.tmp" "$root/bin/promtool"
  say "promtool: built in $((SECONDS - started)) s"
}

wanted=("$@")
[ "${#wanted[@]}" -gt 0 ] || wanted=(kstatus promtool)
for tool in "${wanted[@]}"; do
  case "$tool" in
    kstatus) build_kstatus ;;
    promtool) build_promtool ;;
    *) say "unknown tool: $tool"; exit 2 ;;
  esac
done
echo "$CACHE"
