package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
)

// versionVar is the one version variable of every binary.
const versionVar = "github.com/journeymap/journey-operator/internal/version.Version"

// goBuild cross-compiles one command into a static binary: no cgo (the
// images have no libc), no local paths (-trimpath) and no VCS stamp, so
// that two checkouts of the same commit build the same bytes; the version
// is stamped into internal/version, symbols are stripped.
func goBuild(ctx context.Context, pkg string, p platform, version, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X "+versionVar+"="+version, "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.os, "GOARCH="+p.arch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = os.Stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s: %w\n%s", pkg, p, err, stderr.Bytes())
	}
	return nil
}
