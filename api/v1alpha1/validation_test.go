package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/test/manifests"
)

var env *controlplane.Env

func TestMain(m *testing.M) {
	var err error
	env, err = controlplane.Start(controlplane.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping control plane:", err)
	}
	os.Exit(code)
}

// TestSamplesAreAccepted applies every sample of config/samples, so the
// documented examples can never drift from the schema.
func TestSamplesAreAccepted(t *testing.T) {
	ctx := context.Background()
	ns := createNamespace(t, "samples")
	files, err := filepath.Glob(filepath.Join(env.RepoRoot, "config", "samples", "*.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("expected the samples in config/samples, found %d (%v)", len(files), err)
	}
	kinds := map[string]int{}
	for _, file := range files {
		obj := readObject(t, file)
		obj.SetNamespace(ns)
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Errorf("sample %s rejected: %v", filepath.Base(file), err)
			continue
		}
		kinds[obj.GetKind()]++
	}
	for _, kind := range []string{"Persona", "JourneyMap", "TouchpointMonitor"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s sample was accepted", kind)
		}
	}
}

// TestDefaultsAreApplied checks that the apiserver fills in the defaults the
// API documents, so controllers and users see the same spec.
func TestDefaultsAreApplied(t *testing.T) {
	ctx := context.Background()
	ns := createNamespace(t, "defaults")
	monitor := parse(t, manifests.ValidMonitor)
	monitor.SetNamespace(ns)
	if err := env.Client.Create(ctx, monitor); err != nil {
		t.Fatal(err)
	}
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(monitor.GroupVersionKind())
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(monitor), got); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		"spec.probe.interval":             "30s",
		"spec.probe.timeout":              "10s",
		"spec.probe.http.method":          "GET",
		"spec.probe.http.followRedirects": true,
		"spec.objectives.window":          "28d",
		"spec.alerting.enabled":           true,
		"spec.alerting.pageSeverity":      "critical",
		"spec.alerting.ticketSeverity":    "warning",
	} {
		value, found, err := unstructured.NestedFieldNoCopy(got.Object, strings.Split(path, ".")...)
		if err != nil || !found || value != want {
			t.Errorf("%s = %v (found %v, %v), want default %v", path, value, found, err, want)
		}
	}
}

// TestInvalidObjectsAreRejected shows that the apiserver itself turns away
// bad manifests, each with a message that says what to fix.
func TestInvalidObjectsAreRejected(t *testing.T) {
	cases := manifests.InvalidCases()
	if len(cases) < 30 {
		t.Fatalf("the table must hold at least 30 invalid objects, has %d", len(cases))
	}

	ctx := context.Background()
	ns := createNamespace(t, "invalid")
	for i, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			obj := parse(t, tc.Base)
			obj.SetNamespace(ns)
			obj.SetName(fmt.Sprintf("invalid-%d", i))
			tc.Mutate(obj.Object)
			err := env.Client.Create(ctx, obj)
			if err == nil {
				t.Fatalf("the apiserver accepted an invalid %s", obj.GetKind())
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want an Invalid error, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.Message) {
				t.Fatalf("error does not say %q:\n%v", tc.Message, err)
			}
		})
	}
}

// TestValidBasesAreAccepted guards the table above: every invalid case must
// fail because of its one mutation, not because its base is already bad.
func TestValidBasesAreAccepted(t *testing.T) {
	ctx := context.Background()
	ns := createNamespace(t, "bases")
	for _, base := range []string{manifests.ValidPersona, manifests.ValidMap, manifests.ValidMonitor} {
		obj := parse(t, base)
		obj.SetNamespace(ns)
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Errorf("valid %s rejected: %v", obj.GetKind(), err)
		}
	}
}

// TestKubectlExplainShowsFieldDocs checks that the doc comments reach users
// through `kubectl explain`, nested fields included.
func TestKubectlExplainShowsFieldDocs(t *testing.T) {
	kubeconfig, err := env.Kubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{
		"touchpointmonitors.spec.probe.http.headers.valueFrom": "reads the value from a Secret",
		"journeymaps.spec.stages.emotion":                      "from -2 (frustrated)",
		"personas.spec.customerSharePercent":                   "share of the customer base",
	} {
		out, err := exec.Command(env.Bin("kubectl"), "--kubeconfig", kubeconfig, "explain", field).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl explain %s: %v\n%s", field, err, out)
		}
		if !strings.Contains(strings.Join(strings.Fields(string(out)), " "), want) {
			t.Errorf("kubectl explain %s does not show %q:\n%s", field, want, out)
		}
	}
}

func createNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetGenerateName(prefix + "-")
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.GetName()
}

func readObject(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, string(data))
}

func parse(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
		t.Fatal(err)
	}
	return obj
}

// set returns a mutation that puts value at path, creating missing maps on
// the way; path elements are map keys (string) or list indexes (int).
