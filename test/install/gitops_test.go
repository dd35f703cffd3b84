package install

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestGitOpsReapplyShowsNoDiff does what Argo CD and Flux do: apply the
// samples with server-side apply, let the operator converge, apply them
// again and diff. The operator writes only status and children, never
// spec, so a GitOps tool never sees drift and never fights it.
func TestGitOpsReapplyShowsNoDiff(t *testing.T) {
	const ns = "gitops"
	createNamespace(t, ns)
	apply := []string{"apply", "--server-side", "-n", ns, "-f", "config/samples"}
	if _, stderr, err := kubectl(nil, apply...); err != nil {
		t.Fatalf("applying the samples: %v\n%s", err, stderr)
	}
	want := sampleCount(t)
	eventually(t, convergeTimeout, func() error { return allReady(ns, want) })

	if _, stderr, err := kubectl(nil, apply...); err != nil {
		t.Fatalf("re-applying the samples: %v\n%s", err, stderr)
	}
	out, stderr, err := kubectl(nil, "diff", "--server-side", "-n", ns, "-f", "config/samples")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("kubectl diff --server-side after convergence: %v\n%s%s", err, out, stderr)
	}

	items, err := listJourneys(ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range items {
		if obj.GetGeneration() != 1 {
			t.Errorf("%s %s: generation %d, want 1: its spec was written after creation", obj.GetKind(), obj.GetName(), obj.GetGeneration())
		}
		if status, message := argoCDHealth(t, obj.Object); status != "Healthy" {
			t.Errorf("%s %s: Argo CD health %s (%s), want Healthy", obj.GetKind(), obj.GetName(), status, message)
		}
	}
}

// TestGitOpsArrivalOrder applies the samples in the worst order a GitOps
// sync can produce, a journey before its persona: Argo CD shows the
// journey Progressing (not Degraded, which would fail the sync), and
// Healthy once the persona arrives.
func TestGitOpsArrivalOrder(t *testing.T) {
	const ns = "gitops-order"
	const persona = "cx_v1alpha1_persona_office-it-lead.yaml"
	createNamespace(t, ns)
	files, err := filepath.Glob(filepath.Join(env.RepoRoot, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"apply", "--server-side", "-n", ns}
	for _, f := range files {
		if filepath.Base(f) != persona {
			args = append(args, "-f", f)
		}
	}
	if _, stderr, err := kubectl(nil, args...); err != nil {
		t.Fatalf("applying the samples without persona %s: %v\n%s", persona, err, stderr)
	}

	const journey = "business-phone-system"
	eventually(t, convergeTimeout, func() error {
		obj, err := getJourneyMap(ns, journey)
		if err != nil {
			return err
		}
		if status, message := argoCDHealth(t, obj.Object); status != "Progressing" || !strings.Contains(message, "PersonaNotFound") {
			return fmt.Errorf("Argo CD health %s (%s), want Progressing for the missing persona", status, message)
		}
		return nil
	})

	if _, stderr, err := kubectl(nil, "apply", "--server-side", "-n", ns, "-f", filepath.Join("config", "samples", persona)); err != nil {
		t.Fatalf("applying persona %s: %v\n%s", persona, err, stderr)
	}
	want := sampleCount(t)
	eventually(t, convergeTimeout, func() error { return allReady(ns, want) })
	eventually(t, convergeTimeout, func() error {
		items, err := listJourneys(ns)
		if err != nil {
			return err
		}
		var unhealthy []error
		for _, obj := range items {
			if status, message := argoCDHealth(t, obj.Object); status != "Healthy" {
				unhealthy = append(unhealthy, fmt.Errorf("%s %s: %s (%s)", obj.GetKind(), obj.GetName(), status, message))
			}
		}
		return errors.Join(unhealthy...)
	})
}

func getJourneyMap(ns, name string) (*unstructured.Unstructured, error) {
	out, stderr, err := kubectl(nil, "get", "journeymaps.cx.journeymap.dev", name, "-n", ns, "-o", "json")
	if err != nil {
		return nil, fmt.Errorf("getting JourneyMap %s: %v: %s", name, err, stderr)
	}
	obj := &unstructured.Unstructured{}
	return obj, obj.UnmarshalJSON([]byte(out))
}

// readRepoFile reads a file of the repository.
func readRepoFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(env.RepoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
