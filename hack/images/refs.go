package main

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/controlplane"
)

// defaultRegistry is where released images are pushed.
const defaultRegistry = "ghcr.io/journeymap"

// Files make images writes beside the layouts, so that the chart and
// kustomize deploy exactly the images just built.
const (
	valuesFile      = "values-digest.yaml"
	kustomizeDir    = "kustomize"
	operatorImage   = "journey-operator"
	probeImage      = "journey-probe"
	uiImage         = "kubectl-journey"
	releasedRepoFmt = defaultRegistry + "/%s"
)

// writeDigestRefs writes out/values-digest.yaml, Helm values pinning every
// image by digest, and out/kustomize/, an overlay of config/default that
// does the same.
func writeDigestRefs(out, registry string, built []builtImage) error {
	byName := map[string]builtImage{}
	for _, b := range built {
		byName[b.name] = b
	}
	op, probe := byName[operatorImage], byName[probeImage]
	ref := func(b builtImage) map[string]string {
		return map[string]string{"repository": registry + "/" + b.name, "tag": b.tag, "digest": b.digest.String()}
	}
	values, err := yaml.Marshal(map[string]any{"image": ref(op), "probeImage": ref(probe),
		"ui": map[string]any{"image": ref(byName[uiImage])}})
	if err != nil {
		return err
	}
	header := "# Written by `make images`: pins the chart to the images just built.\n" +
		"#   helm install journey-operator charts/journey-operator -f " + filepath.Join(out, valuesFile) + "\n"
	if err := os.WriteFile(filepath.Join(out, valuesFile), append([]byte(header), values...), 0o644); err != nil {
		return err
	}

	dir := filepath.Join(out, kustomizeDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base, err := configDefaultFrom(dir)
	if err != nil {
		return err
	}
	probeRef := fmt.Sprintf("%s/%s@%s", registry, probe.name, probe.digest)
	overlay := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  []string{base},
		"images": []map[string]string{{
			"name":    fmt.Sprintf(releasedRepoFmt, operatorImage),
			"newName": registry + "/" + operatorImage,
			"digest":  op.digest.String(),
		}},
		// config/manager's fourth argument is --probe-image; the test of
		// this overlay fails if it moves.
		"patches": []map[string]any{{
			"target": map[string]string{"kind": "Deployment", "name": operatorImage},
			"patch": fmt.Sprintf("- op: replace\n  path: /spec/template/spec/containers/0/args/%d\n  value: --probe-image=%s\n",
				probeImageArg, probeRef),
		}},
	}
	data, err := yaml.Marshal(overlay)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "kustomization.yaml"),
		append([]byte("# Written by `make images`: config/default with the images just built.\n"), data...), 0o644)
}

// configDefaultFrom is config/default relative to dir, as kustomize wants
// it; from dir's real path, since bin/ may be a link to another checkout's.
func configDefaultFrom(dir string) (string, error) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	return filepath.Rel(resolved, filepath.Join(root, "config", "default"))
}

// probeImageArg is the index of --probe-image among the manager's
// arguments in config/manager/manager.yaml.
const probeImageArg = 3
