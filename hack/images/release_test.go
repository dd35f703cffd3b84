package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestRelease packages a release for the host platform only and checks it
// as a user would: the chart installs the built version, the archive holds
// a plugin that runs, the checksums verify, and the krew manifest names the
// archive with its checksum.
func TestRelease(t *testing.T) {
	out := t.TempDir()
	err := release(context.Background(), releaseOptions{
		out: out, helm: filepath.Join(repoRoot, "bin", "helm"), meta: testMeta, platforms: []platform{host},
	})
	if err != nil {
		t.Fatal(err)
	}
	const chartVersion = "0.9.0-3-gabcdef0"
	chartFile := "journey-operator-" + chartVersion + ".tgz"
	chart := tarFiles(t, filepath.Join(out, chartFile))
	var meta struct {
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(chart["journey-operator/Chart.yaml"], &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Version != chartVersion || meta.AppVersion != testMeta.tag() {
		t.Errorf("packaged chart %s, appVersion %s; want %s, %s", meta.Version, meta.AppVersion, chartVersion, testMeta.tag())
	}
	if _, ok := chart["journey-operator/crds/cx.journeymap.dev_journeymaps.yaml"]; !ok {
		t.Error("the packaged chart has no CRDs")
	}
	index := readFile(t, filepath.Join(out, "index.yaml"))
	wantURL := source + "/releases/download/" + testMeta.Version + "/" + chartFile
	if !strings.Contains(index, wantURL) {
		t.Errorf("index.yaml does not point at %s:\n%s", wantURL, index)
	}

	archive := "kubectl-journey_" + host.os + "_" + host.arch + ".tar.gz"
	plugin := tarFiles(t, filepath.Join(out, archive))[pluginName]
	bin := filepath.Join(t.TempDir(), pluginName)
	if err := os.WriteFile(bin, plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := exec.Command(bin, "--version").CombinedOutput(); err != nil || strings.TrimSpace(string(got)) != testMeta.Version {
		t.Errorf("%s from %s: --version: %v: %q, want %q", pluginName, archive, err, got, testMeta.Version)
	}

	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, checksumsFile))), "\n") {
		sum, file, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("%s: line %q is not sha256sum's format", checksumsFile, line)
		}
		sums[file] = sum
	}
	for _, file := range []string{chartFile, archive} {
		got, err := sha256File(filepath.Join(out, file))
		if err != nil {
			t.Fatal(err)
		}
		if sums[file] != got {
			t.Errorf("%s: checksum %q listed, %q computed", file, sums[file], got)
		}
	}

	var krew struct {
		Spec struct {
			Version   string `json:"version"`
			Platforms []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"selector"`
				URI    string `json:"uri"`
				SHA256 string `json:"sha256"`
				Bin    string `json:"bin"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(out, "journey.yaml"))), &krew); err != nil {
		t.Fatal(err)
	}
	if krew.Spec.Version != "v"+chartVersion || len(krew.Spec.Platforms) != 1 {
		t.Fatalf("krew manifest: version %q with %d platforms, want v%s with 1", krew.Spec.Version, len(krew.Spec.Platforms), chartVersion)
	}
	p := krew.Spec.Platforms[0]
	if p.SHA256 != sums[archive] || !strings.HasSuffix(p.URI, "/"+testMeta.Version+"/"+archive) || p.Bin != pluginName ||
		p.Selector.MatchLabels["os"] != host.os || p.Selector.MatchLabels["arch"] != host.arch {
		t.Errorf("krew platform %+v does not match %s (sha256 %s)", p, archive, sums[archive])
	}
}

func TestChartVersionOf(t *testing.T) {
	for version, want := range map[string]string{
		"v0.2.0":                  "0.2.0",
		"v0.2.0-rc.1":             "0.2.0-rc.1",
		"v0.2.0-3-gabcdef0-dirty": "0.2.0-3-gabcdef0-dirty",
		// No tag yet: git describe gives the commit.
		"a590c1d":       "0.1.0-dev.ga590c1d",
		"0590c1d-dirty": "0.1.0-dev.g0590c1d-dirty",
	} {
		got, err := chartVersionOf(meta{Version: version})
		if err != nil || got != want {
			t.Errorf("chartVersionOf(%q) = %q, %v; want %q", version, got, err, want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// tarFiles reads the regular files of a .tar.gz.
func tarFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if files[hdr.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
}
