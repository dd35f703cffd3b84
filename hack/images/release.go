package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

const (
	chartDir = "charts/journey-operator"
	// krewTemplate holds the plugin's description; release adds the
	// version and the platforms.
	krewTemplate = "hack/krew/journey.yaml"
	// checksumsFile is in sha256sum's format: `sha256sum -c checksums.txt`.
	checksumsFile = "checksums.txt"
	pluginName    = "kubectl-journey"
)

// releaseOptions say what to package and where.
type releaseOptions struct {
	out       string
	helm      string
	meta      meta
	platforms []platform
}

// release writes into out: the packaged chart and a chart repository index
// pointing at the release's downloads, a kubectl-journey archive per
// platform, checksums.txt, and the krew manifest journey.yaml with those
// checksums. Nothing is downloaded or uploaded.
func release(ctx context.Context, o releaseOptions) error {
	if err := os.RemoveAll(o.out); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	chartVersion, err := chartVersionOf(o.meta)
	if err != nil {
		return err
	}
	downloads := source + "/releases/download/" + o.meta.Version
	if err := packageChart(ctx, o, chartVersion, downloads); err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "journey-release-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	var platforms []map[string]any
	for _, p := range o.platforms {
		bin := pluginName
		if p.os == "windows" {
			bin += ".exe"
		}
		built := filepath.Join(tmp, p.os+"_"+p.arch, bin)
		if err := goBuild(ctx, "./cmd/"+pluginName, p, o.meta.Version, built); err != nil {
			return err
		}
		archive, err := writeArchive(o.out, p, built, o.meta)
		if err != nil {
			return err
		}
		sum, err := sha256File(filepath.Join(o.out, archive))
		if err != nil {
			return err
		}
		platforms = append(platforms, map[string]any{
			"selector": map[string]any{"matchLabels": map[string]string{"os": p.os, "arch": p.arch}},
			"uri":      downloads + "/" + archive,
			"sha256":   sum,
			"bin":      bin,
		})
	}
	if err := writeChecksums(o.out); err != nil {
		return err
	}
	return writeKrewManifest(o.out, "v"+chartVersion, platforms)
}

// semver is what Helm accepts as a chart version.
var semver = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// chartVersionOf is the chart version of a build: the release tag without
// its "v"; between tags (git describe gives a commit) the chart's own
// version as a prerelease of it, e.g. 0.1.0-dev.ga590c1d-dirty.
func chartVersionOf(m meta) (string, error) {
	if semver.MatchString(m.tag()) {
		return m.tag(), nil
	}
	data, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	var chart struct {
		Version string `json:"version"`
	}
	if err := yaml.Unmarshal(data, &chart); err != nil {
		return "", fmt.Errorf("%s/Chart.yaml: %w", chartDir, err)
	}
	v := chart.Version + "-dev.g" + m.tag()
	if !semver.MatchString(v) {
		return "", fmt.Errorf("chart version %q of version %q is not semver", v, m.Version)
	}
	return v, nil
}

// packageChart runs helm package, with appVersion (and so the default
// image tags) set to the images' tag, and helm repo index.
func packageChart(ctx context.Context, o releaseOptions, chartVersion, downloads string) error {
	tmp, err := os.MkdirTemp("", "journey-helm-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	helm := func(args ...string) error {
		cmd := exec.CommandContext(ctx, o.helm, args...)
		// Helm's caches and repository config stay out of the home
		// directory.
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+tmp, "HELM_CONFIG_HOME="+tmp, "HELM_DATA_HOME="+tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := helm("package", chartDir, "--version", chartVersion, "--app-version", o.meta.tag(), "--destination", o.out); err != nil {
		return err
	}
	return helm("repo", "index", o.out, "--url", downloads)
}

// writeArchive packs one plugin binary as krew expects it: a .tar.gz, or
// a .zip for Windows, with fixed timestamps.
func writeArchive(out string, p platform, bin string, m meta) (string, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	base := fmt.Sprintf("%s_%s_%s", pluginName, p.os, p.arch)
	var buf bytes.Buffer
	if p.os == "windows" {
		base += ".zip"
		zw := zip.NewWriter(&buf)
		hdr := &zip.FileHeader{Name: filepath.Base(bin), Method: zip.Deflate, Modified: m.Created}
		hdr.SetMode(0o755)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return "", err
		}
		if _, err := w.Write(data); err != nil {
			return "", err
		}
		if err := zw.Close(); err != nil {
			return "", err
		}
	} else {
		base += ".tar.gz"
		gz := gzip.NewWriter(&buf)
		if err := writeTar(gz, []tarEntry{{name: filepath.Base(bin), mode: 0o755, data: data}}, m.Created); err != nil {
			return "", err
		}
		if err := gz.Close(); err != nil {
			return "", err
		}
	}
	return base, os.WriteFile(filepath.Join(out, base), buf.Bytes(), 0o644)
}

func sha256File(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// writeChecksums lists the sha256 of every file to download: the chart
// and the archives.
func writeChecksums(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	var lines strings.Builder
	for _, e := range entries {
		if e.IsDir() || e.Name() == "index.yaml" {
			continue
		}
		sum, err := sha256File(filepath.Join(out, e.Name()))
		if err != nil {
			return err
		}
		fmt.Fprintf(&lines, "%s  %s\n", sum, e.Name())
	}
	return os.WriteFile(filepath.Join(out, checksumsFile), []byte(lines.String()), 0o644)
}

// writeKrewManifest fills the template's version and platforms.
func writeKrewManifest(out, version string, platforms []map[string]any) error {
	data, err := os.ReadFile(krewTemplate)
	if err != nil {
		return err
	}
	var manifest map[string]any
	if err := yaml.Unmarshal(data, &manifest); err != nil {
		return fmt.Errorf("%s: %w", krewTemplate, err)
	}
	spec, ok := manifest["spec"].(map[string]any)
	if !ok {
		return fmt.Errorf("%s has no spec", krewTemplate)
	}
	spec["version"], spec["platforms"] = version, platforms
	data, err = yaml.Marshal(manifest)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "journey.yaml"), data, 0o644)
}
