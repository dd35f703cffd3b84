# journey-operator — build, generate, test and demo.
#
# Every tool comes from a pinned Go module (hack/tools) and is built into bin/;
# nothing is installed globally. The control plane (kube-apiserver, etcd,
# kube-controller-manager, kubectl) is built from k8s.io/kubernetes: about
# 13 minutes cold on 2 cores, seconds once the Go build cache is warm.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

BIN := $(CURDIR)/bin
TOOLS_MOD := hack/tools/go.mod
# The linters have their own module: their dependencies would fight the
# k8s.io/kubernetes pins of hack/tools.
LINT_MOD := hack/lint/go.mod
KUBE_VERSION := v1.37.2
KUBE_MINOR := 37

CONTROLLER_GEN := $(BIN)/controller-gen
KUBE_APISERVER := $(BIN)/kube-apiserver
KUBE_CONTROLLER_MANAGER := $(BIN)/kube-controller-manager
KUBECTL := $(BIN)/kubectl
ETCD := $(BIN)/etcd
CONTROL_PLANE := $(KUBE_APISERVER) $(ETCD) $(KUBECTL) $(KUBE_CONTROLLER_MANAGER)
PROMETHEUS := $(BIN)/prometheus
PROMTOOL := $(BIN)/promtool
HELM := $(BIN)/helm
GOLANGCI_LINT := $(BIN)/golangci-lint
# golangci-lint with the Kube API Linter compiled in as a module.
KUBE_API_LINTER := $(BIN)/kube-api-linter
# The peer SLO generator make bench compares the operator's rules with; its
# own module (hack/slo-peer), built only for the benchmark.
SLO_PEER_MOD := hack/slo-peer/go.mod
SLOTH := $(BIN)/sloth
# Alertmanager and amtool have a module of their own under hack/tools: their
# dependencies must not move the control plane's, whose cold build is slow.
ALERTMANAGER_MOD := hack/tools/alertmanager/go.mod
ALERTMANAGER := $(BIN)/alertmanager
AMTOOL := $(BIN)/amtool
# Prometheus Operator CRDs for the test control plane, generated from the Go
# types the operator compiles against.
MONITORING_CRDS := $(BIN)/crds/monitoring

# Unstamped Kubernetes binaries report v0.0.0-master+$$Format:%H$$, which
# kubectl and Helm refuse to parse; stamp the real release instead.
KUBE_LDFLAGS := $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(p).gitVersion=$(KUBE_VERSION) -X $(p).gitMajor=1 -X $(p).gitMinor=$(KUBE_MINOR))

export KUBEBUILDER_ASSETS := $(BIN)

##@ General

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Tools

.PHONY: tools
tools: $(CONTROLLER_GEN) $(CONTROL_PLANE) $(PROMETHEUS) $(PROMTOOL) $(ALERTMANAGER) $(AMTOOL) $(HELM) $(MONITORING_CRDS) $(GOLANGCI_LINT) $(KUBE_API_LINTER) ## Build every pinned tool into bin/.

$(CONTROLLER_GEN): $(TOOLS_MOD)
	cd hack/tools && go build -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(KUBE_APISERVER) $(KUBE_CONTROLLER_MANAGER) $(KUBECTL) &: $(TOOLS_MOD)
	cd hack/tools && go build -ldflags '$(KUBE_LDFLAGS)' -o $(BIN)/ \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kubectl

$(ETCD): $(TOOLS_MOD)
	cd hack/tools && go build -o $@ go.etcd.io/etcd/server/v3

# The HTTP API works without the web UI assets, which are not built here.
$(PROMETHEUS) $(PROMTOOL) &: $(TOOLS_MOD)
	cd hack/tools && go build -o $(BIN)/ \
		github.com/prometheus/prometheus/cmd/prometheus \
		github.com/prometheus/prometheus/cmd/promtool

# Alertmanager embeds its web UI from ui/app/dist, which its module does not
# ship (it is built with npm in its own release). The build copies the
# module's source under bin/src, puts a one-page placeholder there and
# builds from that copy; the HTTP API, which the tests use, is complete.
ALERTMANAGER_SRC := $(BIN)/src/alertmanager
$(ALERTMANAGER) $(AMTOOL) &: $(ALERTMANAGER_MOD)
	rm -rf $(ALERTMANAGER_SRC) && mkdir -p $(BIN)/src
	cd hack/tools/alertmanager && cp -r "$$(go list -m -f '{{.Dir}}' github.com/prometheus/alertmanager)" $(ALERTMANAGER_SRC)
	chmod -R u+w $(ALERTMANAGER_SRC)
	for ui in elm mantine; do mkdir -p $(ALERTMANAGER_SRC)/ui/app/dist/$$ui && \
		echo '<!doctype html><title>Alertmanager</title><p>The web UI is not built here; the API is at /api/v2/.' > $(ALERTMANAGER_SRC)/ui/app/dist/$$ui/index.html; done
	cp hack/tools/alertmanager/go.mod $(ALERTMANAGER_SRC).mod && cp hack/tools/alertmanager/go.sum $(ALERTMANAGER_SRC).sum
	cd hack/tools/alertmanager && go mod edit -modfile=$(ALERTMANAGER_SRC).mod -replace github.com/prometheus/alertmanager=$(ALERTMANAGER_SRC) && \
		go build -modfile=$(ALERTMANAGER_SRC).mod \
		-ldflags "-X github.com/prometheus/common/version.Version=$$(go list -m -f '{{.Version}}' github.com/prometheus/alertmanager | sed s/^v//)" \
		-o $(BIN)/ github.com/prometheus/alertmanager/cmd/alertmanager github.com/prometheus/alertmanager/cmd/amtool

$(HELM): $(TOOLS_MOD)
	cd hack/tools && go build -o $@ helm.sh/helm/v4/cmd/helm

$(GOLANGCI_LINT): $(LINT_MOD)
	cd hack/lint && go build -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint

$(KUBE_API_LINTER): $(LINT_MOD)
	cd hack/lint && go build -o $@ sigs.k8s.io/kube-api-linter/cmd/golangci-lint-kube-api-linter

$(SLOTH): $(SLO_PEER_MOD)
	cd hack/slo-peer && go build -o $@ github.com/slok/sloth/cmd/sloth

$(MONITORING_CRDS): go.mod $(CONTROLLER_GEN)
	rm -rf $@ && mkdir -p $@
	$(CONTROLLER_GEN) crd:maxDescLen=0 paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1 output:crd:dir=$@

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code for the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC from the kubebuilder markers, and copy CRDs into the chart.
	$(CONTROLLER_GEN) rbac:roleName=journey-operator-manager crd paths=./api/... paths=./internal/... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	mkdir -p charts/journey-operator/crds
	cp config/crd/bases/*.yaml charts/journey-operator/crds/
	cp config/rbac/role.yaml charts/journey-operator/files/manager-role.yaml

.PHONY: fmt
fmt: ## Format the Go code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: lint
lint: $(GOLANGCI_LINT) $(KUBE_API_LINTER) ## Run golangci-lint on every package (.golangci.yml) and kube-api-linter on the API types (.golangci-kal.yml).
	$(GOLANGCI_LINT) run ./...
	$(KUBE_API_LINTER) run --config .golangci-kal.yml ./api/...

# Every module of the repository: the operator, and the tool modules.
GO_MODULES := . hack/tools hack/tools/alertmanager hack/lint hack/slo-peer

.PHONY: tidy-check
tidy-check: ## Fail if 'go mod tidy' would change go.mod or go.sum of any module.
	@for m in $(GO_MODULES); do \
		( cd $$m && go mod tidy -diff ) || { echo "$$m: go.mod/go.sum are not tidy: run 'go mod tidy' there and commit"; exit 1; }; \
	done

.PHONY: verify
verify: generate manifests lint tidy-check ## Regenerate, lint and tidy-check; fail if anything generated, formatting or go.mod differs from what is committed.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	@git diff --exit-code -- api config charts || { echo "generated files are stale: run 'make generate manifests' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- api config charts)" || { echo "untracked generated files:"; git status --porcelain -- api config charts; exit 1; }

##@ Test

.PHONY: test
test: tools verify chromium ## Run every test against a real kube-apiserver and etcd built into bin/.
	go test -count=1 ./... -timeout 60m

# The map's browser tests drive a real Chromium (chromedp). Debian's package
# is installed only when none is on PATH; the tests find it there.
.PHONY: chromium
chromium: ## Install Chromium from the distribution's packages (apt-get) unless a chromium or chromium-browser is on PATH.
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then \
		echo "chromium: $$(command -v chromium || command -v chromium-browser)"; \
	else \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; \
	fi

.PHONY: map-screenshots
map-screenshots: tools chromium ## Redraw docs/map/*.png: the sample journeys, one with a broken touchpoint, in Chromium against a real apiserver.
	mkdir -p docs/map
	MAP_SCREENSHOTS=$(CURDIR)/docs/map go test ./internal/cli -run 'TestMapInBrowser/screenshots' -count=1 -v | grep -E 'png|ok|FAIL'

BENCH_FLAGS ?=

.PHONY: bench
bench: tools $(SLOTH) ## Measure converge rate, steady-state writes, churn latency, memory and drift repair at 10x10, 50x20 and 100x50; writes docs/benchmarks.md.
	go run ./test/bench --out=docs/benchmarks.md $(BENCH_FLAGS)

##@ Build and run

# Every binary, image and package is stamped with the checkout's version
# (internal/version), commit and commit time: rebuilding a commit gives the
# same image digests.
VERSION ?= $(shell git describe --tags --always --dirty)
REVISION ?= $(shell git rev-parse HEAD)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct)
VERSION_LDFLAGS := -X github.com/journeymap/journey-operator/internal/version.Version=$(VERSION)

.PHONY: build
build: ## Build the operator, the probe and the kubectl journey plugin into bin/.
	go build -ldflags '$(VERSION_LDFLAGS)' -o $(BIN)/journey-operator ./cmd/journey-operator
	go build -ldflags '$(VERSION_LDFLAGS)' -o $(BIN)/journey-probe ./cmd/journey-probe
	go build -ldflags '$(VERSION_LDFLAGS)' -o $(BIN)/kubectl-journey ./cmd/kubectl-journey

.PHONY: demo
demo: tools ## Run the whole loop locally (control plane, operator, Prometheus, journey-probe, demo shop) with the sample journeys; Ctrl-C stops it.
	@# Built, then run: under go run, Ctrl-C ends the go command with
	@# status 1 however cleanly the demo itself stops, and make reports it.
	go build -o $(BIN)/demo ./hack/demo
	$(BIN)/demo

TOUCHPOINT ?= pricing-page

.PHONY: break
break: ## Break a touchpoint of the running demo: make break TOUCHPOINT=pricing-page
	go run ./hack/demo break $(TOUCHPOINT)

.PHONY: heal
heal: ## Heal a touchpoint of the running demo: make heal TOUCHPOINT=pricing-page
	go run ./hack/demo heal $(TOUCHPOINT)

STAGE ?= purchase

.PHONY: leak
leak: ## Silently lose 70% of the customers entering a stage of the running demo (every page still answers): make leak STAGE=purchase
	go run ./hack/demo leak $(STAGE)

.PHONY: unleak
unleak: ## End the leak: make unleak STAGE=purchase
	go run ./hack/demo unleak $(STAGE)

##@ Release

REGISTRY ?= ghcr.io/journeymap
RELEASE_FLAGS = -version=$(VERSION) -revision=$(REVISION) -source-date-epoch=$(SOURCE_DATE_EPOCH)

.PHONY: images
images: ## Build the operator and probe images (linux/amd64, linux/arm64) as OCI layouts in bin/images/, without a container runtime; pin their digests in bin/images/values-digest.yaml and bin/images/kustomize/.
	go run ./hack/images build $(RELEASE_FLAGS) -registry=$(REGISTRY)

.PHONY: push
push: images ## Push the images to a registry: make push REGISTRY=ghcr.io/you (credentials from ~/.docker/config.json).
	go run ./hack/images push -registry=$(REGISTRY)

.PHONY: release
release: $(HELM) ## Package the chart, its repository index, the kubectl-journey archives, checksums and the krew manifest into bin/release/ (no network).
	go run ./hack/images release $(RELEASE_FLAGS) -helm=$(HELM)
