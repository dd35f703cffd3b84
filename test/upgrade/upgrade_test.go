// Package upgrade upgrades an installation of the previous release to this
// checkout the way the install docs say, against a real kube-apiserver:
// Helm install of the previous chart and its CRDs (testdata/previous,
// generated from that commit by gen_fixture.go), the samples applied, then
// the CRDs applied server-side and `helm upgrade`, the operator of this
// checkout converging on what it finds, and `helm rollback`. Every journey
// must keep its UID, generation and spec throughout.
package upgrade

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/controller"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/scheme"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

const (
	release       = "journey-operator"
	releaseNS     = "journey-system"
	journeysNS    = "shop"
	previousChart = "test/upgrade/testdata/previous/journey-operator"
	// previousSamples are the samples of the previous release: journeys
	// written against its CRDs, which lack this checkout's new fields.
	previousSamples = "test/upgrade/testdata/previous/samples"
	currentChart    = "charts/journey-operator"
	// The fixture's CRDs carry no descriptions; this checkout's do.
	crdMarker = "journeymaps.cx.journeymap.dev"
)

var (
	env *controlplane.Env
	// kubeconfig is written by the test for helm and kubectl.
	kubeconfig string
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	ctrl.SetLogger(logr.Discard())
	root, err := controlplane.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The previous release's CRDs come from its chart, so none of this
	// checkout's are installed up front.
	env, err = controlplane.Start(controlplane.Options{WithoutProjectCRDs: true, ExtraCRDPaths: controlplane.MonitoringCRDs(root)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping control plane:", err)
		}
	}()
	return m.Run()
}

// TestUpgradeKeepsEveryJourney is the upgrade of docs/install.md, step by
// step.
func TestUpgradeKeepsEveryJourney(t *testing.T) {
	ctx := t.Context()
	var err error
	// helm and kubectl are administrators.
	if kubeconfig, err = env.Kubeconfig(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	// The previous release, as a platform team installed it.
	mustRun(t, "helm", "install", release, previousChart, "-n", releaseNS, "--create-namespace")
	if hasDescriptions(t) {
		t.Fatal("the previous release's CRDs were not the ones installed")
	}
	mustRun(t, "kubectl", "create", "namespace", journeysNS)
	mustRun(t, "kubectl", "apply", "--server-side", "-n", journeysNS, "-f", previousSamples)
	// The previous samples referenced these Secrets without shipping them.
	for _, secret := range []string{"v1_secret_synthetic-probe-token.yaml", "v1_secret_voice-internal-ca.yaml"} {
		mustRun(t, "kubectl", "apply", "--server-side", "-n", journeysNS, "-f", "config/samples/"+secret)
	}
	before := snapshot(t)

	// Helm never upgrades crds/: the CRDs are applied first, server-side,
	// taking them over from the field manager Helm created them with.
	mustRun(t, "kubectl", "apply", "--server-side", "--force-conflicts", "-f", currentChart+"/crds/")
	mustRun(t, "helm", "upgrade", release, currentChart, "-n", releaseNS)
	checkCRDsAreCurrent(t)
	checkUnchanged(t, before, "after the upgrade")

	// This checkout's operator finds the journeys and converges, writing
	// status and children only: never a journey's spec or metadata.
	writes := &testenv.WriteCounter{ByResource: true}
	stop := startOperator(t, writes)
	defer stop()
	testenv.Eventually(t, 2*time.Minute, func() error { return allReady(ctx, len(before)) })
	writes.WaitQuiet(3 * time.Second)
	converged := writes.Since(nil)
	t.Logf("the operator converged with: %v", converged)
	for _, w := range converged {
		if isJourneyWrite(w) {
			t.Errorf("the operator wrote a journey beyond its status: %s", w)
		}
	}
	checkUnchanged(t, before, "after the operator converged")

	// Rolling the chart back, and forward again, leaves journeys and CRDs
	// alone and gives the operator nothing to do.
	quiet := writes.Snapshot()
	mustRun(t, "helm", "rollback", release, "1", "-n", releaseNS, "--wait=false")
	history := mustRun(t, "helm", "history", release, "-n", releaseNS, "-o", "json")
	t.Logf("helm history: %s", history)
	if !strings.Contains(history, `"description":"Rollback to 1"`) || !strings.Contains(history, `"status":"deployed"`) {
		t.Errorf("helm history after rollback:\n%s", history)
	}
	checkCRDsAreCurrent(t)
	mustRun(t, "helm", "upgrade", release, currentChart, "-n", releaseNS)
	writes.WaitQuiet(3 * time.Second)
	if w := writes.Since(quiet); len(w) > 0 {
		t.Errorf("rollback and upgrade made the converged operator write: %v", w)
	}
	checkUnchanged(t, before, "after rollback and upgrade")
	if err := allReady(ctx, len(before)); err != nil {
		t.Errorf("after rollback and upgrade, the journeys' status was lost: %v", err)
	}
}

// journeyGVKs are the operator's kinds.
var journeyGVKs = []schema.GroupVersionKind{
	{Group: "cx.journeymap.dev", Version: "v1alpha1", Kind: "Persona"},
	{Group: "cx.journeymap.dev", Version: "v1alpha1", Kind: "JourneyMap"},
	{Group: "cx.journeymap.dev", Version: "v1alpha1", Kind: "TouchpointMonitor"},
}

// kept is what an upgrade must not change about a journey.
type kept struct {
	UID        string
	Generation int64
	Spec       string
}

func listJourneys(ctx context.Context) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	for _, gvk := range journeyGVKs {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := env.Client.List(ctx, list, client.InNamespace(journeysNS)); err != nil {
			return nil, err
		}
		out = append(out, list.Items...)
	}
	return out, nil
}

func snapshot(t *testing.T) map[string]kept {
	t.Helper()
	ctx := t.Context()
	items, err := listJourneys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]kept{}
	for _, obj := range items {
		spec, err := json.Marshal(obj.Object["spec"])
		if err != nil {
			t.Fatal(err)
		}
		out[obj.GetKind()+"/"+obj.GetName()] = kept{string(obj.GetUID()), obj.GetGeneration(), string(spec)}
	}
	if len(out) == 0 {
		t.Fatal("no journeys in the samples")
	}
	return out
}

func checkUnchanged(t *testing.T, before map[string]kept, when string) {
	t.Helper()
	after := snapshot(t)
	for id, b := range before {
		a, ok := after[id]
		switch {
		case !ok:
			t.Errorf("%s: %s is gone", when, id)
		case a.UID != b.UID:
			t.Errorf("%s: %s was recreated (UID %s, was %s)", when, id, a.UID, b.UID)
		case a.Generation != b.Generation || a.Spec != b.Spec:
			t.Errorf("%s: %s spec changed (generation %d, was %d):\n%s\nwas\n%s", when, id, a.Generation, b.Generation, a.Spec, b.Spec)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%s: %d journeys, was %d", when, len(after), len(before))
	}
}

// allReady: every journey reconciled its spec and is Ready.
func allReady(ctx context.Context, want int) error {
	items, err := listJourneys(ctx)
	if err != nil {
		return err
	}
	if len(items) != want {
		return fmt.Errorf("%d journeys, want %d", len(items), want)
	}
	var errs []error
	for _, obj := range items {
		observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
		conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
		ready := slices.ContainsFunc(conditions, func(c any) bool {
			m, ok := c.(map[string]any)
			return ok && m["type"] == "Ready" && m["status"] == "True"
		})
		if observed != obj.GetGeneration() || !ready {
			errs = append(errs, fmt.Errorf("%s %s: observedGeneration %d of %d, Ready %v", obj.GetKind(), obj.GetName(), observed, obj.GetGeneration(), ready))
		}
	}
	return errors.Join(errs...)
}

// isJourneyWrite tells a write to a journey object itself, rather than to
// its status subresource or to a child.
func isJourneyWrite(write string) bool {
	// "3× PATCH journeymaps/status" or "1× PATCH journeymaps".
	fields := strings.Fields(write)
	resource := fields[len(fields)-1]
	switch resource {
	case "personas", "journeymaps", "touchpointmonitors":
		return true
	}
	return false
}

// hasDescriptions tells this checkout's CRDs from the fixture's.
func hasDescriptions(t *testing.T) bool {
	t.Helper()
	ctx := t.Context()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: crdMarker}, crd); err != nil {
		t.Fatal(err)
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Description != ""
}

// checkCRDsAreCurrent compares the served schemas with the chart's CRDs.
func checkCRDsAreCurrent(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	files, err := filepath.Glob(filepath.Join(env.RepoRoot, currentChart, "crds", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in %s: %v", currentChart, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(data, want); err != nil {
			t.Fatal(err)
		}
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: want.Name}, got); err != nil {
			t.Fatal(err)
		}
		w, _ := json.Marshal(want.Spec.Versions)
		g, _ := json.Marshal(got.Spec.Versions)
		if !bytes.Equal(w, g) {
			t.Errorf("CRD %s: the served versions are not the chart's", want.Name)
		}
	}
}

// startOperator runs this checkout's manager in-process, as main.go
// configures it, counting its writes.
func startOperator(t *testing.T, writes *testenv.WriteCounter) (stop func()) {
	t.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.WrapTransport = writes.Wrap
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.New(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  controller.CacheOptions(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := controller.SetupWithManager(ctx, mgr, controller.Options{ProbeImage: "journey-probe:test"}); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}
}

// mustRun runs kubectl or helm from bin/ against the test control plane,
// from the repository root, and returns its output.
func mustRun(t *testing.T, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(env.Bin(tool), append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	cmd.Dir = env.RepoRoot
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", tool, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
