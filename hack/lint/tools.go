//go:build tools

// Package lint pins the linters `make lint` builds into bin/: golangci-lint,
// and kube-api-linter (a golangci-lint build with the Kube API Linter module
// compiled in). They live in their own module, apart from hack/tools, so that
// their dependencies do not fight the k8s.io/kubernetes pins there.
// Nothing here is imported by the operator itself.
package lint

import (
	_ "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
	_ "sigs.k8s.io/kube-api-linter/cmd/golangci-lint-kube-api-linter"
)
