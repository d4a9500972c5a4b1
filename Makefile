# The two front-door commands are `make run` (the operator on a local control plane) and
# `make test` (lint, unit tests, integration tests and the short fault suite, each on a fresh
# local control plane).
# Everything they need is installed here: a virtual environment in .venv/, and the control
# plane's binaries, built once from their Go modules into ~/.cache/it4it-operator/.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CLUSTER_DIR ?= .cluster
PYTEST_ARGS ?=
LOCK     := requirements/lock.txt
DEV_LOCK := requirements/dev-lock.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv lock image binaries check-tools lint unit integration faults faults-short test run bench cluster-up cluster-down cluster-status crds argocd clean

help:
	@echo "make run           run the operator on the local control plane (or \$$KUBECONFIG)"
	@echo "make test          ruff, mypy, import-linter, unit, integration, short fault suite"
	@echo "make cluster-up    start the local control plane in the background (.cluster/)"
	@echo "make cluster-down  stop it"
	@echo "make crds          regenerate crds/ from the API models"
	@echo "make argocd        regenerate manifests/argocd/argocd-cm-patch.yaml from health/*.lua"
	@echo "make check-tools   build kstatus and promtool once (the GitOps and alert tests use them)"
	@echo "make lock          re-resolve requirements/*lock.txt (UPGRADE=1: newest versions)"
	@echo "make image         the operator image as dist/it4it-operator-<version>.oci.tar"
	@echo "make bench         the controller-core benchmark (N=1000; make bench N=200, make bench-10k)"
	@echo "make faults        the fault suite (200 subscriptions, 100 kills; SEED=n repeats a run)"
	@echo "make faults-short  its short version (part of make test)"

# The venv installs exactly the locked versions (hash-checked), then the project itself with
# the locked setuptools (no build isolation: nothing unpinned is fetched).
$(BIN)/.installed: pyproject.toml $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

venv: $(BIN)/.installed

# Re-resolve the locks (requirements/README.md): keeps the pins that still fit, UPGRADE=1 moves
# everything to the newest versions. lock.txt is resolved within dev-lock.txt, so they agree.
UPGRADE ?=
COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	$(if $(UPGRADE),--upgrade)
lock: venv
	$(COMPILE) pyproject.toml --extra dev requirements/build.in -o $(DEV_LOCK)
	$(COMPILE) pyproject.toml -c $(DEV_LOCK) -o $(LOCK)

# The operator image (images/README.md): docker or podman where one works, else buildah on a
# base made with mmdebstrap; the result is dist/it4it-operator-<version>.oci.tar.
image: venv
	bash images/build.sh

binaries: venv
	$(BIN)/it4it cluster build

# kstatus (sigs.k8s.io/cli-utils) and promtool (github.com/prometheus/prometheus), built once
# from their Go modules into ~/.cache/it4it-operator/ for tests/unit/gitops and .../monitoring.
check-tools: venv
	$(BIN)/python -m it4it_operator.devcluster.checktools

lint: venv
	$(BIN)/ruff check operator tests benchmarks
	$(BIN)/ruff format --check operator tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: venv
	$(BIN)/pytest tests/unit -q $(PYTEST_ARGS)

integration: binaries
	$(BIN)/pytest tests/integration -q -m cluster $(PYTEST_ARGS)

# The fault suite (tests/faults/): the operator through kills, API server and etcd restarts, cut
# and dropped connections, deletion while down, conflicting writers and bad input, on a fresh
# control plane; prints one table, fails on any invariant violation or lost change.
SEED ?=
faults: binaries
	PYTHONPATH=tests $(BIN)/python -m faults.run --subscriptions 200 --kills 100 \
		$(if $(SEED),--seed $(SEED)) $(FAULTS_ARGS)

faults-short: binaries
	$(if $(SEED),IT4IT_FAULTS_SEED=$(SEED)) $(BIN)/pytest tests/faults -q $(PYTEST_ARGS)

test: lint check-tools unit integration faults-short

run: binaries
	$(BIN)/it4it dev run --dir $(CLUSTER_DIR)

# The controller-core benchmark (benchmarks/controller_core.py): N Subscriptions against N
# directly applied instances on a fresh control plane; prints one table, asserts nothing.
N ?= 1000
bench: binaries
	$(BIN)/python benchmarks/controller_core.py --instances $(N)

.PHONY: bench-10k
bench-10k: binaries
	$(BIN)/python benchmarks/controller_core.py --instances 10000

cluster-up: binaries
	$(BIN)/it4it cluster up --dir $(CLUSTER_DIR)

cluster-down: venv
	$(BIN)/it4it cluster down --dir $(CLUSTER_DIR)

cluster-status: venv
	$(BIN)/it4it cluster status --dir $(CLUSTER_DIR)

crds: venv
	$(BIN)/it4it crds --out crds

argocd: venv
	PYTHONPATH=tests $(BIN)/python -m support.gitops

clean: cluster-down
	rm -rf $(VENV) $(CLUSTER_DIR)
