package controller_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controller"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/scheme"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

// resyncPeriod is short so that the steady-state test sees informer
// resyncs, each of which requeues every object.
const resyncPeriod = 5 * time.Second

var (
	env    *controlplane.Env
	writes = &testenv.WriteCounter{}
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
	env, err = controlplane.Start(controlplane.Options{ExtraCRDPaths: controlplane.MonitoringCRDs(root)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping control plane:", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped, err := startManager(ctx, env, writes)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-stopped; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}

// startManager runs the operator in-process against env, as main does, with
// its API writes counted.
func startManager(ctx context.Context, env *controlplane.Env, counter *testenv.WriteCounter) (<-chan error, error) {
	cfg := rest.CopyConfig(env.Config)
	cfg.WrapTransport = counter.Wrap
	cacheOpts := controller.CacheOptions(nil)
	cacheOpts.SyncPeriod = ptr.To(resyncPeriod)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.New(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cacheOpts,
		// Two suites run managers in one test process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, err
	}
	if err := controller.SetupWithManager(ctx, mgr, controller.Options{ProbeImage: "journey-probe:test"}); err != nil {
		return nil, err
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	return stopped, nil
}

const convergeTimeout = 60 * time.Second

// waitQuiet returns once the manager has written nothing for a second.
func waitQuiet(t *testing.T) {
	t.Helper()
	eventually(t, convergeTimeout, func() error {
		before := writes.Total()
		time.Sleep(time.Second)
		if after := writes.Total(); after != before {
			return fmt.Errorf("%d writes in the last second", after-before)
		}
		return nil
	})
}

func newNamespace(t *testing.T, c client.Client) string {
	t.Helper()
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetGenerateName(strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))[:min(len(t.Name()), 40)] + "-")
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.GetName()
}

// create creates the objects of a YAML manifest (documents separated by
// ---) in ns.
func create(t *testing.T, c client.Client, ns, manifest string) {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatal(err)
		}
		obj.SetNamespace(ns)
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
}

// createSamples creates every object of config/samples in ns.
func createSamples(t *testing.T, c client.Client, ns string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(env.RepoRoot, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		create(t, c, ns, string(data))
	}
}

// eventually is testenv.Eventually, the one polling helper of every suite.
var eventually = testenv.Eventually

func get[T client.Object](t *testing.T, c client.Client, ns, name string, obj T) (T, error) {
	t.Helper()
	err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj)
	return obj, err
}

// conditionIs checks one condition of an object's status.
func conditionIs(conditions []metav1.Condition, conditionType, status, reason string) error {
	c := meta.FindStatusCondition(conditions, conditionType)
	if c == nil {
		return fmt.Errorf("no %s condition yet", conditionType)
	}
	if string(c.Status) != status || (reason != "" && c.Reason != reason) {
		return fmt.Errorf("%s is %s/%s (%s), want %s/%s", conditionType, c.Status, c.Reason, c.Message, status, reason)
	}
	return nil
}

func monitorReady(t *testing.T, c client.Client, ns, name string) error {
	m, err := get(t, c, ns, name, &cxv1alpha1.TouchpointMonitor{})
	if err != nil {
		return err
	}
	if m.Status.ObservedGeneration != m.Generation {
		return fmt.Errorf("monitor %s: observedGeneration %d, generation %d", name, m.Status.ObservedGeneration, m.Generation)
	}
	return conditionIs(m.Status.Conditions, cxv1alpha1.ReadyCondition, "True", "")
}

func mapReady(t *testing.T, c client.Client, ns, name string) error {
	m, err := get(t, c, ns, name, &cxv1alpha1.JourneyMap{})
	if err != nil {
		return err
	}
	if m.Status.ObservedGeneration != m.Generation {
		return fmt.Errorf("map %s: observedGeneration %d, generation %d", name, m.Status.ObservedGeneration, m.Generation)
	}
	return conditionIs(m.Status.Conditions, cxv1alpha1.ReadyCondition, "True", "")
}
