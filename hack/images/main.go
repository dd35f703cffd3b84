// Command images builds what a release of journey-operator ships, with no
// container runtime: `make images` (build), `make push` (push) and
// `make release` (release) run it.
//
//	go run ./hack/images build   [-out bin/images] [-registry ghcr.io/journeymap]
//	go run ./hack/images push    -registry REGISTRY [-out bin/images]
//	go run ./hack/images release [-out bin/release]
//
// build cross-compiles static binaries and assembles multi-architecture OCI
// images with go-containerregistry on a base layer it makes itself (CA
// certificates, a nonroot user 65532, no shell), into an OCI image layout per
// image. The same sources, version and SOURCE_DATE_EPOCH give the same
// digests. push sends those layouts to a registry. release packages the Helm
// chart, a chart repository index, the kubectl-journey archives with their
// checksums and the krew manifest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

// meta is what every artifact of one build is stamped with.
type meta struct {
	// Version is `git describe --tags --always --dirty`: the binaries'
	// --version and the images' version annotation.
	Version string
	// Revision is the commit the artifacts are built from.
	Revision string
	// Created is SOURCE_DATE_EPOCH, the commit time: every timestamp in
	// the images, so that a rebuild gives the same digest.
	Created time.Time
}

// source is the repository the images and packages are built from.
const source = "https://github.com/journeymap/journey-operator"

// tag is the image tag and the chart's appVersion for a version: a release
// tag v0.2.0 gives 0.2.0, as charts and image tags are usually spelled.
func (m meta) tag() string { return strings.TrimPrefix(m.Version, "v") }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: images build|push|release [flags]")
	}
	fs := flag.NewFlagSet("images "+args[0], flag.ContinueOnError)
	var m meta
	fs.StringVar(&m.Version, "version", "", "version of the build (git describe --tags --always --dirty)")
	fs.StringVar(&m.Revision, "revision", "", "commit of the build (git rev-parse HEAD)")
	epoch := fs.String("source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"), "creation time of every artifact, in seconds since 1970 (the commit time)")
	switch args[0] {
	case "build":
		out := fs.String("out", "bin/images", "directory of the OCI image layouts")
		registry := fs.String("registry", defaultRegistry, "registry the digest values file and kustomize overlay point at")
		plats := platforms{{"linux", "amd64"}, {"linux", "arm64"}}
		fs.Var(&plats, "platforms", "platforms of the images")
		if err := parseMeta(fs, args[1:], &m, epoch); err != nil {
			return err
		}
		built, err := buildImages(ctx, *out, m, plats)
		if err != nil {
			return err
		}
		if err := writeDigestRefs(*out, *registry, built); err != nil {
			return err
		}
		for _, b := range built {
			fmt.Printf("%s:%s@%s\n", b.name, b.tag, b.digest)
		}
		return nil
	case "push":
		out := fs.String("out", "bin/images", "directory of the OCI image layouts")
		registry := fs.String("registry", "", "registry to push to, e.g. ghcr.io/you")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *registry == "" {
			return errors.New("push: -registry is required (make push REGISTRY=...)")
		}
		return pushImages(ctx, *out, *registry)
	case "release":
		out := fs.String("out", "bin/release", "directory of the release files")
		helm := fs.String("helm", "bin/helm", "helm binary")
		var plats platforms
		for _, goos := range []string{"linux", "darwin", "windows"} {
			plats = append(plats, platform{goos, "amd64"}, platform{goos, "arm64"})
		}
		fs.Var(&plats, "platforms", "platforms of the kubectl-journey archives")
		if err := parseMeta(fs, args[1:], &m, epoch); err != nil {
			return err
		}
		return release(ctx, releaseOptions{out: *out, helm: *helm, meta: m, platforms: plats})
	default:
		return fmt.Errorf("unknown command %q: want build, push or release", args[0])
	}
}

// parseMeta parses the flags and checks the stamps every build needs.
func parseMeta(fs *flag.FlagSet, args []string, m *meta, epoch *string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if m.Version == "" || m.Revision == "" {
		return errors.New("-version and -revision are required (the Makefile passes git describe and git rev-parse)")
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil {
		return fmt.Errorf("-source-date-epoch (or SOURCE_DATE_EPOCH) %q: want seconds since 1970: %w", *epoch, err)
	}
	m.Created = time.Unix(secs, 0).UTC()
	return nil
}

// platform is a GOOS/GOARCH pair.
type platform struct{ os, arch string }

func (p platform) String() string { return p.os + "/" + p.arch }

// platforms is a flag of comma-separated os/arch pairs.
type platforms []platform

func (ps *platforms) String() string {
	var out []string
	for _, p := range *ps {
		out = append(out, p.String())
	}
	return strings.Join(out, ",")
}

// Set replaces the default list.
func (ps *platforms) Set(s string) error {
	*ps = nil
	for _, p := range strings.Split(s, ",") {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || goos == "" || goarch == "" {
			return fmt.Errorf("platform %q: want os/arch, e.g. linux/amd64", p)
		}
		*ps = append(*ps, platform{goos, goarch})
	}
	return nil
}
