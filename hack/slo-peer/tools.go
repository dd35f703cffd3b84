//go:build tools

// Package slopeer pins the peer SLO generator that `make bench` compares the
// operator's rules with: Sloth, built into bin/sloth, generates the rules of
// the same objectives, and the benchmark's Prometheus evaluates both sets
// side by side. It has a module of its own so that Sloth's dependencies do
// not move the pins of the operator or of hack/tools.
package slopeer

import (
	_ "github.com/slok/sloth/cmd/sloth"
)
