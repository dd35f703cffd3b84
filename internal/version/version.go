// Package version holds the one version string of every binary of the
// project: journey-operator, journey-probe and kubectl-journey print it with
// --version, and the images and release archives are labelled with it.
package version

import "runtime/debug"

// Version is stamped at build time by the Makefile and hack/images with
//
//	-ldflags "-X github.com/journeymap/journey-operator/internal/version.Version=$(git describe --tags --always --dirty)"
//
// It stays empty in a plain `go build`; see String.
var Version string

// String is the stamped version; for a binary built without the stamp it
// is the module version Go recorded (a `go install ...@v0.2.0` gives
// "v0.2.0"), or "(devel)" for a build from a checkout.
func String() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
