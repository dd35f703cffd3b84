//go:build ignore

// gen_fixture writes testdata/previous/: the chart of the previous release,
// as `git show` gives it from that commit, for the upgrade test, and the
// samples of that release (samples/), the journeys a team had applied. The CRDs
// keep their whole schema but lose their descriptions, which makes the
// fixture a fifth of the size and shows, in the apiserver, which CRDs are
// installed. Run from the repository root:
//
//	go run test/upgrade/gen_fixture.go
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// previous is the commit of the previous release: there are no tags yet,
// and this was the first commit with a chart.
const previous = "1d73ac4"

const (
	chart   = "charts/journey-operator"
	samples = "config/samples"
	out     = "test/upgrade/testdata/previous"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen_fixture:", err)
		os.Exit(1)
	}
}

func run() error {
	files, err := git("ls-tree", "-r", "--name-only", previous, chart, samples)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for _, path := range strings.Fields(files) {
		rel := strings.TrimPrefix(strings.TrimPrefix(path, "charts/"), "config/")
		// ci/ holds values for the chart's own tests, not the release.
		if strings.HasPrefix(rel, "journey-operator/ci/") {
			continue
		}
		data, err := git("show", previous+":"+path)
		if err != nil {
			return err
		}
		content := []byte(data)
		if strings.HasPrefix(rel, "journey-operator/crds/") {
			if content, err = withoutDescriptions(content); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		dst := filepath.Join(out, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, content, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(out, "COMMIT"), []byte(previous+"\n"), 0o644)
}

func withoutDescriptions(data []byte) ([]byte, error) {
	var crd map[string]any
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return nil, err
	}
	strip(crd)
	return yaml.Marshal(crd)
}

// strip deletes every description text; a property named "description"
// is a map, and stays.
func strip(v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["description"].(string); ok {
			delete(v, "description")
		}
		for _, child := range v {
			strip(child)
		}
	case []any:
		for _, child := range v {
			strip(child)
		}
	}
}

func git(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}
