// Package install checks the operator the way a platform team installs and
// runs it: the Helm chart and the kustomize configuration against a real
// kube-apiserver (server-side dry run), the manager running as its own
// ServiceAccount with nothing but the generated RBAC, and GitOps tools
// re-applying the samples without ever seeing a diff.
package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/controller"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/scheme"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

// The names config/rbac and config/manager install the operator under.
const (
	operatorNamespace      = "journey-system"
	operatorServiceAccount = "journey-operator"
	// leaderElectionID is the Lease main.go elects a leader with.
	leaderElectionID = "journey-operator.cx.journeymap.dev"
)

var (
	env *controlplane.Env
	// kubeconfig is an administrator's, for kubectl and helm.
	kubeconfig string
	// apiResponses records what the apiserver objected to in the
	// manager's requests.
	apiResponses = &responseRecorder{}
	// metricsURL is the manager's secure metrics endpoint.
	metricsURL string
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
	for _, tool := range []string{"kubectl", "helm"} {
		if _, err := os.Stat(filepath.Join(root, "bin", tool)); err != nil {
			fmt.Fprintf(os.Stderr, "%s is missing from bin/: run `make tools` to build it: %v\n", tool, err)
			return 1
		}
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
	dir, err := os.MkdirTemp("", "journey-install-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	if kubeconfig, err = env.Kubeconfig(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped, err := startOperator(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-stopped; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		return 1
	}
	return code
}

// startOperator installs the operator's namespace and RBAC from config/ for
// real and runs the manager in-process, configured as main.go configures
// it, authenticated as the operator's ServiceAccount: every permission it
// has comes from config/rbac.
func startOperator(ctx context.Context) (<-chan error, error) {
	if err := applyOperatorNamespace(); err != nil {
		return nil, err
	}
	if _, stderr, err := kubectl(nil, "apply", "--server-side", "-k", filepath.Join(env.RepoRoot, "config", "rbac")); err != nil {
		return nil, fmt.Errorf("installing config/rbac: %v: %s", err, stderr)
	}
	token, err := serviceAccountToken(ctx, operatorNamespace, operatorServiceAccount)
	if err != nil {
		return nil, err
	}
	cfg := &rest.Config{
		Host:            env.Config.Host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: env.Config.CAData},
		WrapTransport:   apiResponses.wrap,
	}
	metricsAddr, err := freeLoopbackAddress()
	if err != nil {
		return nil, err
	}
	metricsURL = "https://" + metricsAddr + "/metrics"
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme.New(),
		Metrics: metricsserver.Options{
			BindAddress:    metricsAddr,
			SecureServing:  true,
			FilterProvider: filters.WithAuthenticationAndAuthorization,
		},
		HealthProbeBindAddress:  "0",
		LeaderElection:          true,
		LeaderElectionID:        leaderElectionID,
		LeaderElectionNamespace: operatorNamespace,
		Cache:                   controller.CacheOptions(nil),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := controller.SetupWithManager(ctx, mgr, controller.Options{ProbeImage: "journey-probe:test"}); err != nil {
		return nil, err
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	return stopped, nil
}

// applyOperatorNamespace creates journey-system as config/default defines
// it, with its Pod Security labels, so the dry runs are judged by them.
func applyOperatorNamespace() error {
	out, stderr, err := kubectl(nil, "kustomize", filepath.Join(env.RepoRoot, "config", "default"))
	if err != nil {
		return fmt.Errorf("kubectl kustomize config/default: %v: %s", err, stderr)
	}
	for _, doc := range splitDocuments([]byte(out)) {
		if doc.GetKind() == "Namespace" && doc.GetName() == operatorNamespace {
			data, err := yaml.Marshal(doc.Object)
			if err != nil {
				return err
			}
			if _, stderr, err := kubectl(data, "apply", "--server-side", "-f", "-"); err != nil {
				return fmt.Errorf("creating namespace %s: %v: %s", operatorNamespace, err, stderr)
			}
			return nil
		}
	}
	return fmt.Errorf("config/default defines no Namespace %s", operatorNamespace)
}

// serviceAccountToken issues a short-lived token for a ServiceAccount, as
// the kubelet does for a pod.
func serviceAccountToken(ctx context.Context, namespace, name string) (string, error) {
	clientset, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		return "", err
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
	tr, err := clientset.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, nil
}

// freeLoopbackAddress finds a free port for the metrics server, whose
// listener controller-runtime does not expose.
func freeLoopbackAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	// Only the address was wanted; the listener is closed to free it, and
	// nothing was sent on it to lose.
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

// responseRecorder remembers what the apiserver objected to in the
// manager's requests: each 403 is a rule missing from the least-privilege
// RBAC, and each warning (e.g. a child violating the namespace's Pod
// Security level) is something users would see.
type responseRecorder struct {
	mu        sync.Mutex
	forbidden []string
	warnings  []string
}

func (r *responseRecorder) wrap(rt http.RoundTripper) http.RoundTripper {
	return testenv.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if resp.StatusCode == http.StatusForbidden {
			r.forbidden = append(r.forbidden, req.Method+" "+req.URL.Path)
		}
		for _, w := range resp.Header.Values("Warning") {
			r.warnings = append(r.warnings, req.Method+" "+req.URL.Path+": "+w)
		}
		return resp, err
	})
}

// forbiddenRequests lists the refused requests, each once, with how often.
func (r *responseRecorder) forbiddenRequests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return countDistinct(r.forbidden)
}

// warningsSeen lists the apiserver's warnings, each once, with how often.
func (r *responseRecorder) warningsSeen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return countDistinct(r.warnings)
}

func countDistinct(items []string) []string {
	counts := map[string]int{}
	for _, item := range items {
		counts[item]++
	}
	out := make([]string, 0, len(counts))
	for item, n := range counts {
		out = append(out, fmt.Sprintf("%d× %s", n, item))
	}
	sort.Strings(out)
	return out
}

// kubectl runs bin/kubectl as an administrator, with stdin when given.
func kubectl(stdin []byte, args ...string) (stdout, stderr string, err error) {
	return run(env.Bin("kubectl"), stdin, append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
}

// helm runs bin/helm against the test control plane.
func helm(args ...string) (stdout, stderr string, err error) {
	return run(env.Bin("helm"), nil, append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
}

func run(binary string, stdin []byte, args ...string) (string, string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Dir = env.RepoRoot
	// Helm keeps caches and repositories in the home directory; keep them
	// out of the developer's.
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+os.TempDir()+"/journey-helm-cache",
		"HELM_CONFIG_HOME="+os.TempDir()+"/journey-helm-config", "HELM_DATA_HOME="+os.TempDir()+"/journey-helm-data")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// splitDocuments parses a multi-document YAML stream, skipping empty
// documents.
func splitDocuments(data []byte) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		// Through JSON, so that integers decode as int64, as unstructured
		// accessors such as GetGeneration expect.
		data, err := yaml.YAMLToJSON(doc)
		if err != nil || string(data) == "null" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(data); err != nil {
			continue
		}
		out = append(out, obj)
	}
	return out
}

// createNamespace creates a namespace that enforces the restricted Pod
// Security Standard, as a careful platform team would for the operator.
func createNamespace(t *testing.T, name string) {
	t.Helper()
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/warn: restricted
`, name)
	if _, stderr, err := kubectl([]byte(manifest), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatalf("creating namespace %s: %v: %s", name, err, stderr)
	}
}

// eventually is testenv.Eventually, the one polling helper of every suite.
var eventually = testenv.Eventually

const convergeTimeout = 2 * time.Minute

// journeyKinds are the operator's kinds, as kubectl names them.
var journeyKinds = []string{"personas.cx.journeymap.dev", "journeymaps.cx.journeymap.dev", "touchpointmonitors.cx.journeymap.dev"}

// listJourneys reads every Persona, JourneyMap and TouchpointMonitor of ns.
func listJourneys(ns string) ([]*unstructured.Unstructured, error) {
	out, stderr, err := kubectl(nil, "get", strings.Join(journeyKinds, ","), "-n", ns, "-o", "json")
	if err != nil {
		return nil, fmt.Errorf("listing journeys in %s: %v: %s", ns, err, stderr)
	}
	list := &unstructured.UnstructuredList{}
	if err := list.UnmarshalJSON([]byte(out)); err != nil {
		return nil, err
	}
	items := make([]*unstructured.Unstructured, len(list.Items))
	for i := range list.Items {
		items[i] = &list.Items[i]
	}
	return items, nil
}

// allReady checks that every journey object of ns reconciled its current
// spec (observedGeneration) and is Ready, and that there are want of them.
func allReady(ns string, want int) error {
	items, err := listJourneys(ns)
	if err != nil {
		return err
	}
	if len(items) != want {
		return fmt.Errorf("%d journey objects in %s, want %d", len(items), ns, want)
	}
	var notReady []error
	for _, obj := range items {
		if err := isReady(obj); err != nil {
			notReady = append(notReady, err)
		}
	}
	return errors.Join(notReady...)
}

func isReady(obj *unstructured.Unstructured) error {
	id := obj.GetKind() + " " + obj.GetName()
	observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	if observed != obj.GetGeneration() {
		return fmt.Errorf("%s: observedGeneration %d, generation %d", id, observed, obj.GetGeneration())
	}
	conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conditions {
		c := c.(map[string]any)
		if c["type"] == "Ready" {
			if c["status"] != "True" {
				return fmt.Errorf("%s: Ready is %v (%v: %v)", id, c["status"], c["reason"], c["message"])
			}
			return nil
		}
	}
	return fmt.Errorf("%s: no Ready condition yet", id)
}

// sampleCount is the number of objects in config/samples.
func sampleCount(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(env.RepoRoot, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, obj := range splitDocuments(data) {
			// The samples' Secrets are inputs, not journey objects.
			if obj.GroupVersionKind().Group == "cx.journeymap.dev" {
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no objects in config/samples")
	}
	return n
}
