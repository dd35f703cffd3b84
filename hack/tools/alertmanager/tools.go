//go:build tools

// Package alertmanager pins Alertmanager and amtool, which the end-to-end
// tests and the demo run beside Prometheus. It is a module of its own so
// that its dependencies never move those of the control plane in
// hack/tools, whose cold build is the slowest thing in this repository.
package alertmanager

import (
	_ "github.com/prometheus/alertmanager/cmd/alertmanager"
	_ "github.com/prometheus/alertmanager/cmd/amtool"
)
