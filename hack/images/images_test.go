package main

import (
	"archive/tar"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/journeymap/journey-operator/internal/controlplane"
)

// repoRoot is where the tests run, as make runs the program.
var repoRoot string

func TestMain(m *testing.M) {
	root, err := controlplane.RepoRoot()
	if err == nil {
		err = os.Chdir(root)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	repoRoot = root
	os.Exit(m.Run())
}

// testMeta stamps the test builds; a fixed time, as SOURCE_DATE_EPOCH.
var testMeta = meta{
	Version:  "v0.9.0-3-gabcdef0",
	Revision: "abcdef0123456789abcdef0123456789abcdef01",
	Created:  time.Date(2026, 11, 24, 18, 44, 4, 0, time.UTC),
}

// host is the only platform the tests build for: its binaries run here.
var host = platform{"linux", runtime.GOARCH}

// buildOnce builds the images for the host into a new directory.
func buildOnce(t *testing.T) (string, []builtImage) {
	t.Helper()
	out := t.TempDir()
	built, err := buildImages(context.Background(), out, testMeta, []platform{host})
	if err != nil {
		t.Fatal(err)
	}
	if len(built) != len(imageSpecs) {
		t.Fatalf("built %d images, want %d", len(built), len(imageSpecs))
	}
	return out, built
}

// TestImages reads the layouts back and checks each image as a runtime
// would see it, then builds again: the same inputs give the same digests.
func TestImages(t *testing.T) {
	out, built := buildOnce(t)
	for i, spec := range imageSpecs {
		t.Run(spec.name, func(t *testing.T) {
			idx, tag, err := readLayout(filepath.Join(out, spec.name))
			if err != nil {
				t.Fatal(err)
			}
			if tag != testMeta.tag() || built[i].tag != tag {
				t.Errorf("layout names the image %q, want %q", tag, testMeta.tag())
			}
			checkAnnotations(t, "index", mustIndexManifest(t, idx).Annotations, spec)
			img := hostImage(t, idx)
			manifest, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			checkAnnotations(t, "manifest", manifest.Annotations, spec)
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			checkConfig(t, cfg, spec)
			files := layerFiles(t, img)
			checkBase(t, files)
			runBinary(t, files, spec)
		})
	}

	t.Run("chart and kustomize deploy the built digests", func(t *testing.T) {
		checkDigestRefs(t, out, built)
	})

	_, again := buildOnce(t)
	for i := range built {
		if built[i].digest != again[i].digest {
			t.Errorf("%s: rebuilt with the same inputs, digest %s then %s", built[i].name, built[i].digest, again[i].digest)
		}
	}
}

func mustIndexManifest(t *testing.T, idx v1.ImageIndex) *v1.IndexManifest {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// hostImage is the index's only image, which must be for the host.
func hostImage(t *testing.T, idx v1.ImageIndex) v1.Image {
	t.Helper()
	m := mustIndexManifest(t, idx)
	if len(m.Manifests) != 1 {
		t.Fatalf("index lists %d images, want 1 (the host's)", len(m.Manifests))
	}
	desc := m.Manifests[0]
	if desc.Platform == nil || desc.Platform.OS != host.os || desc.Platform.Architecture != host.arch {
		t.Errorf("platform %+v, want %s", desc.Platform, host)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func checkAnnotations(t *testing.T, where string, got map[string]string, spec imageSpec) {
	t.Helper()
	want := map[string]string{
		"org.opencontainers.image.source":   source,
		"org.opencontainers.image.revision": testMeta.Revision,
		"org.opencontainers.image.version":  testMeta.Version,
		"org.opencontainers.image.created":  "2026-11-24T18:44:04Z",
		"org.opencontainers.image.title":    spec.name,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s annotation %s = %q, want %q", where, k, got[k], v)
		}
	}
}

func checkConfig(t *testing.T, cfg *v1.ConfigFile, spec imageSpec) {
	t.Helper()
	c := cfg.Config
	if strings.Join(c.Entrypoint, " ") != "/"+spec.name {
		t.Errorf("entrypoint %q, want /%s", c.Entrypoint, spec.name)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if c.WorkingDir != nonrootHome {
		t.Errorf("working directory %q, want %s", c.WorkingDir, nonrootHome)
	}
	if len(c.ExposedPorts) != len(spec.ports) {
		t.Errorf("exposed ports %v, want %v", c.ExposedPorts, spec.ports)
	}
	for _, p := range spec.ports {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("port %s is not exposed: %v", p, c.ExposedPorts)
		}
	}
	if c.Labels["org.opencontainers.image.version"] != testMeta.Version {
		t.Errorf("labels %v lack the version", c.Labels)
	}
	if !cfg.Created.Equal(testMeta.Created) || cfg.Architecture != host.arch || cfg.OS != host.os {
		t.Errorf("created %s for %s/%s, want %s for %s", cfg.Created.Time, cfg.OS, cfg.Architecture, testMeta.Created, host)
	}
	if cfg.RootFS.Type != "layers" {
		t.Errorf("rootfs type %q, want layers", cfg.RootFS.Type)
	}
	if len(cfg.History) != 2 || len(cfg.RootFS.DiffIDs) != 2 {
		t.Errorf("%d history entries and %d layers, want 2 and 2 (base, binary)", len(cfg.History), len(cfg.RootFS.DiffIDs))
	}
}

// layerFile is a file of an image, as the layers hold it.
type layerFile struct {
	hdr  *tar.Header
	data []byte
}

// layerFiles reads every layer; a name in a later layer replaces an earlier
// one (no whiteouts are written).
func layerFiles(t *testing.T, img v1.Image) map[string]layerFile {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]layerFile{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if !hdr.ModTime.Equal(testMeta.Created) {
				t.Errorf("%s: mtime %s, want SOURCE_DATE_EPOCH %s", hdr.Name, hdr.ModTime, testMeta.Created)
			}
			files[hdr.Name] = layerFile{hdr, data}
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// checkBase: no shell or other program but the binary, the nonroot user,
// and a CA bundle Go can load.
func checkBase(t *testing.T, files map[string]layerFile) {
	t.Helper()
	for name, f := range files {
		if strings.HasPrefix(name, "bin/") || strings.HasPrefix(name, "usr/") || strings.HasPrefix(name, "sbin/") {
			t.Errorf("%s: the image has program directories", name)
		}
		switch path.Base(name) {
		case "sh", "bash", "ash", "busybox", "dash":
			t.Errorf("%s: the image has a shell", name)
		}
		if f.hdr.Typeflag == tar.TypeSymlink || f.hdr.Typeflag == tar.TypeLink {
			t.Errorf("%s: links are not expected", name)
		}
	}
	if passwd := string(files["etc/passwd"].data); !strings.Contains(passwd, "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd lacks nonroot 65532:\n%s", passwd)
	}
	if home := files[nonrootHome[1:]+"/"]; home.hdr == nil || home.hdr.Uid != nonrootUID {
		t.Errorf("%s is missing or not owned by %d", nonrootHome, nonrootUID)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(files[caBundle[1:]].data) {
		t.Fatalf("%s holds no certificate", caBundle)
	}
	if n := len(files[caBundle[1:]].data); n < 100_000 {
		t.Errorf("%s is only %d bytes: too few roots", caBundle, n)
	}
}

// runBinary extracts the image's binary for the host and runs it.
func runBinary(t *testing.T, files map[string]layerFile, spec imageSpec) {
	t.Helper()
	f, ok := files[spec.name]
	if !ok {
		t.Fatalf("/%s is not in the image", spec.name)
	}
	if f.hdr.Mode&0o111 == 0 || f.hdr.Uid != 0 {
		t.Errorf("/%s: mode %o, owner %d: want executable, owned by root (the nonroot user cannot replace it)", spec.name, f.hdr.Mode, f.hdr.Uid)
	}
	bin := filepath.Join(t.TempDir(), spec.name)
	if err := os.WriteFile(bin, f.data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != testMeta.Version {
		t.Errorf("/%s --version: %v: %q, want %q", spec.name, err, out, testMeta.Version)
	}
	out, err = exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-version") {
		t.Errorf("/%s --help: %v\n%s", spec.name, err, out)
	}
}

// checkDigestRefs renders the chart with the values file make images
// writes, and the kustomize overlay: both must run the manager and the
// collectors by the digests just built.
func checkDigestRefs(t *testing.T, out string, built []builtImage) {
	t.Helper()
	const registry = "registry.example.test/journeys"
	if err := writeDigestRefs(out, registry, built); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, b := range built {
		want[b.name] = fmt.Sprintf("%s/%s:%s@%s", registry, b.name, b.tag, b.digest)
	}
	chart, err := exec.Command(filepath.Join(repoRoot, "bin", "helm"), "template", "journeys", chartDir,
		"-f", filepath.Join(out, valuesFile), "--set", "ui.enabled=true").CombinedOutput()
	if err != nil {
		t.Fatalf("helm template -f %s: %v\n%s", valuesFile, err, chart)
	}
	for _, line := range []string{"image: " + want[operatorImage], "--probe-image=" + want[probeImage], "image: " + want[uiImage]} {
		if !strings.Contains(string(chart), line) {
			t.Errorf("helm template with %s renders no %q", valuesFile, line)
		}
	}

	kust, err := exec.Command(filepath.Join(repoRoot, "bin", "kubectl"), "kustomize", filepath.Join(out, kustomizeDir)).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", kustomizeDir, err, kust)
	}
	// kustomize drops the tag when it sets a digest. The in-cluster map
	// is an option of the chart only; config/ has none.
	delete(want, uiImage)
	for name, ref := range want {
		untagged := strings.Replace(ref, ":"+testMeta.tag()+"@", "@", 1)
		if !strings.Contains(string(kust), untagged) {
			t.Errorf("the kustomize overlay renders no %s image %s:\n%s", name, untagged, kust)
		}
	}
}
