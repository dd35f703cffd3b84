package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

// TestStatusAgainstTheAPIServer runs kubectl journey status against a
// real kube-apiserver holding the status scenario, its status written
// through the status subresource as the operator would. The subtests run
// in order on one control plane; the last one removes the CRDs.
func TestStatusAgainstTheAPIServer(t *testing.T) {
	env := startControlPlane(t)
	ctx := context.Background()
	dir := t.TempDir()
	admin, err := env.Kubeconfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	sc := newStatusScenario(t)
	createScenario(t, env.Client, sc)
	status := func(t *testing.T, kubeconfig string, args ...string) (int, string, string) {
		t.Helper()
		return run(t, "", append([]string{"status", "--kubeconfig", kubeconfig}, args...)...)
	}

	t.Run("tree", func(t *testing.T) {
		code, out, stderr := status(t, admin, "marketing-automation-trial", "-n", statusNamespace)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden(t, "status-tree.txt", out)
		// Not a terminal: no colour unless asked for.
		_, colored, _ := status(t, admin, "marketing-automation-trial", "-n", statusNamespace, "--color=always")
		golden(t, "status-tree-color.txt", colored)
		t.Setenv("NO_COLOR", "1")
		if _, out, _ := status(t, admin, "marketing-automation-trial", "-n", statusNamespace, "--color=auto"); strings.Contains(out, "\x1b[") {
			t.Errorf("colour with NO_COLOR set:\n%s", out)
		}
	})

	t.Run("tree of an unreconciled journey without its persona", func(t *testing.T) {
		code, out, stderr := status(t, admin, "business-phone-system", "--namespace", statusNamespace)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden(t, "status-tree-unreconciled.txt", out)
	})

	t.Run("json", func(t *testing.T) {
		code, out, stderr := status(t, admin, "marketing-automation-trial", "-n", statusNamespace, "-o", "json")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden(t, "status-tree.json", out)
	})

	t.Run("list", func(t *testing.T) {
		code, out, stderr := status(t, admin, "-n", statusNamespace)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden(t, "status-list.txt", out)
		code, out, stderr = status(t, admin, "-A")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		golden(t, "status-list-all-namespaces.txt", out)

		code, out, _ = status(t, admin, "-n", statusNamespace, "-o", "json")
		var rows []journeyRow
		if err := json.Unmarshal([]byte(out), &rows); err != nil || code != exitOK || len(rows) != 2 {
			t.Fatalf("exit %d, %d rows, %v:\n%s", code, len(rows), err, out)
		}
		if r := rows[1]; r.Name != "marketing-automation-trial" || r.Health != cxv1alpha1.HealthCritical || *r.Score != 58 || r.Coverage != "4/14" || r.WeakestStage != "purchase" || r.FiringAlerts != 2 || r.NotReady != "" {
			t.Errorf("row: %+v", r)
		}
	})

	t.Run("a namespace without journeys", func(t *testing.T) {
		code, out, stderr := status(t, admin, "-n", "default")
		if code != exitOK || out != "" || stderr != "No JourneyMaps in namespace default.\n" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
		}
		if code, out, _ := status(t, admin, "-n", "default", "-o", "json"); code != exitOK || out != "[]\n" {
			t.Errorf("json: exit %d, %q", code, out)
		}
	})

	t.Run("an unknown name lists the journeys that exist", func(t *testing.T) {
		code, out, stderr := status(t, admin, "marketing-automation", "-n", statusNamespace)
		want := `kubectl journey status: journeymap "marketing-automation" not found in namespace "shop"; its journeys are: business-phone-system, marketing-automation-trial` + "\n"
		if code != exitFound || out != "" || stderr != want {
			t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, stderr)
		}
		code, _, stderr = status(t, admin, "marketing-automation-trial", "-n", "default")
		if code != exitFound || !strings.Contains(stderr, `namespace "default" has no JourneyMaps; kubectl journey status -A lists those of all namespaces`) {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
	})

	t.Run("rbac", func(t *testing.T) {
		nobody, err := env.UserKubeconfig(filepath.Join(dir, "nobody"), "nobody")
		if err != nil {
			t.Fatal(err)
		}
		code, out, stderr := status(t, nobody, "marketing-automation-trial", "-n", statusNamespace)
		for _, want := range []string{
			`kubectl journey status: journeymaps.cx.journeymap.dev "marketing-automation-trial" is forbidden: User "nobody" cannot get resource "journeymaps" in API group "cx.journeymap.dev" in the namespace "shop".`,
			`Reading journeys needs get, list and watch on personas, journeymaps and touchpointmonitors (API group cx.journeymap.dev) in namespace "shop".`,
			"kubectl create rolebinding journey-viewer --clusterrole=view --user=<you> -n shop",
		} {
			if code != exitFound || out != "" || !strings.Contains(stderr, want) {
				t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, stderr)
			}
		}

		// The Role the help text asks for, bound to another user.
		viewer, err := env.UserKubeconfig(filepath.Join(dir, "viewer"), "viewer")
		if err != nil {
			t.Fatal(err)
		}
		role := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Namespace: statusNamespace, Name: "journey-reader"},
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{cxv1alpha1.GroupVersion.Group},
				Resources: []string{"personas", "journeymaps", "touchpointmonitors"},
				Verbs:     []string{"get", "list", "watch"},
			}},
		}
		binding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: statusNamespace, Name: "journey-reader"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "viewer"}},
		}
		for _, obj := range []client.Object{role, binding} {
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
		}
		code, out, stderr = status(t, viewer, "marketing-automation-trial", "-n", statusNamespace)
		if code != exitOK {
			t.Fatalf("with the Role: exit %d: %s", code, stderr)
		}
		golden(t, "status-tree.txt", out)
		// Bound in shop only: other namespaces stay closed.
		code, _, stderr = status(t, viewer, "-A")
		if code != exitFound || !strings.Contains(stderr, `User "viewer" cannot list resource "journeymaps" in API group "cx.journeymap.dev" at the cluster scope`) ||
			!strings.Contains(stderr, "kubectl create clusterrolebinding journey-viewer --clusterrole=view --user=<you>") {
			t.Errorf("-A: exit %d:\n%s", code, stderr)
		}
		// The viewer may watch too.
		w := startWatch(t, "marketing-automation-trial", "--kubeconfig", viewer, "-n", statusNamespace)
		w.waitFrames(t, 1)
		setMonitorStatus(t, env.Client, "checkout", func(s *cxv1alpha1.TouchpointMonitorStatus) { s.SLI.BurnRate = "1.2" })
		w.waitFor(t, "burn rate 1.2")
		setMonitorStatus(t, env.Client, "checkout", func(s *cxv1alpha1.TouchpointMonitorStatus) { s.SLI.BurnRate = "1.1" })
		w.waitFor(t, "burn rate 1.1")
		w.stop(t)
	})

	t.Run("watch redraws once per change that shows", func(t *testing.T) {
		w := startWatch(t, "marketing-automation-trial", "--kubeconfig", admin, "-n", statusNamespace)
		w.waitFrames(t, 1)
		if got := w.frame(0); got != readGolden(t, "status-tree.txt") {
			t.Fatalf("first frame differs from testdata/status-tree.txt:\n%s", got)
		}

		// Changes the view does not show: a label of a monitor of the
		// journey, an annotation of the map, the status of another
		// journey's monitor.
		label(t, env.Client, &cxv1alpha1.TouchpointMonitor{}, "trial-signup")
		label(t, env.Client, &cxv1alpha1.JourneyMap{}, "marketing-automation-trial")
		setMonitorStatus(t, env.Client, "admin-portal", func(s *cxv1alpha1.TouchpointMonitorStatus) { s.Health = cxv1alpha1.HealthHealthy })

		// Changes it shows, one per kind, each after the last was drawn.
		// Each informer delivers its events in order, so once a change
		// is drawn the irrelevant changes made before it on that kind have
		// been seen too.
		setMapStatus(t, env.Client, "marketing-automation-trial", func(s *cxv1alpha1.JourneyMapStatus) { s.Score = ptrTo(int32(41)) })
		w.waitFor(t, "Critical, score 41,")
		setMonitorStatus(t, env.Client, "trial-signup", func(s *cxv1alpha1.TouchpointMonitorStatus) {
			s.Health, s.FiringAlerts = cxv1alpha1.HealthHealthy, nil
		})
		w.waitFor(t, "Healthy (monitor trial-signup)")
		setPersonaStatus(t, env.Client, "startup-cmo", func(s *cxv1alpha1.PersonaStatus) { s.ExperienceScore = ptrTo(int32(41)) })
		w.waitFor(t, "experience score 41")

		// A new monitor naming a touchpoint the map lacks shows at once.
		stray := sc.monitor(t, "payment-gateway").DeepCopy()
		stray.ObjectMeta = metav1.ObjectMeta{Namespace: statusNamespace, Name: "sales-chat-typo"}
		stray.Spec.Touchpoint = "sales-chats"
		if err := env.Client.Create(ctx, stray); err != nil {
			t.Fatal(err)
		}
		w.waitFor(t, `monitor sales-chat-typo: touchpoint "sales-chats" is not in the map`)

		// Settle: a redraw for any of the irrelevant changes would come
		// now at the latest.
		time.Sleep(2 * time.Second)
		if n := w.count(); n != 5 {
			t.Errorf("%d frames, want 5 (the first and one per change that shows):\n%s", n, strings.Join(w.frames(), "\n=====\n"))
		}
		if last := w.frame(4); !strings.HasPrefix(last, "\n") {
			t.Errorf("a redraw that is not on a terminal is not set apart by an empty line: %q", last[:min(len(last), 40)])
		}
		w.stop(t)
		restoreScenarioStatus(t, env.Client, sc)
		if err := env.Client.Delete(ctx, stray); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("kubectl runs the plugin from PATH", func(t *testing.T) {
		testKubectlPlugin(t, env, admin)
	})

	t.Run("watch of the list, as json", func(t *testing.T) {
		w := startWatch(t, "--kubeconfig", admin, "-n", statusNamespace, "-o", "json")
		w.waitFrames(t, 1)
		setMapStatus(t, env.Client, "business-phone-system", func(s *cxv1alpha1.JourneyMapStatus) { s.Health = cxv1alpha1.HealthDegraded })
		w.waitFrames(t, 2)
		var rows []journeyRow
		if err := json.Unmarshal([]byte(w.frame(1)), &rows); err != nil || rows[0].Health != cxv1alpha1.HealthDegraded {
			t.Errorf("second frame: %v\n%s", err, w.frame(1))
		}
		// Deleting the map shows too; the list is then one journey long,
		// and a watch of that journey says it is gone.
		gone := startWatch(t, "business-phone-system", "--kubeconfig", admin, "-n", statusNamespace)
		gone.waitFrames(t, 1)
		if err := env.Client.Delete(ctx, &cxv1alpha1.JourneyMap{ObjectMeta: metav1.ObjectMeta{Namespace: statusNamespace, Name: "business-phone-system"}}); err != nil {
			t.Fatal(err)
		}
		w.waitFrames(t, 3)
		if err := json.Unmarshal([]byte(w.frame(2)), &rows); err != nil || len(rows) != 1 {
			t.Errorf("third frame: %v\n%s", err, w.frame(2))
		}
		w.stop(t)
		gone.waitFor(t, "JourneyMap shop/business-phone-system: not found (deleted?); watching for it to come back")
		gone.stop(t)
	})

	t.Run("apiserver unreachable", func(t *testing.T) {
		cfg, err := clientcmd.LoadFromFile(admin)
		if err != nil {
			t.Fatal(err)
		}
		closed := closedAddress(t)
		for _, cluster := range cfg.Clusters {
			cluster.Server = "https://" + closed
		}
		unreachable := filepath.Join(dir, "unreachable")
		if err := clientcmd.WriteToFile(*cfg, unreachable); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"marketing-automation-trial"}, {"-A"}} {
			code, _, stderr := status(t, unreachable, args...)
			want := fmt.Sprintf("kubectl journey status: cannot reach the apiserver at https://%s (context %q): ", closed, cfg.CurrentContext)
			if code != exitFound || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "connection refused") ||
				!strings.Contains(stderr, "Check that the cluster is running, and --kubeconfig and --context.") {
				t.Errorf("%v: exit %d:\n%s", args, code, stderr)
			}
		}
	})

	// Last: the CRDs go away.
	t.Run("CRDs not installed", func(t *testing.T) {
		for _, plural := range []string{"personas", "journeymaps", "touchpointmonitors"} {
			crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: plural + "." + cxv1alpha1.GroupVersion.Group}}
			if err := env.Client.Delete(ctx, crd); err != nil {
				t.Fatal(err)
			}
		}
		// Discovery follows the deletion within moments.
		testenv.Eventually(t, time.Minute, func() error {
			for _, args := range [][]string{{"marketing-automation-trial", "-n", statusNamespace}, {"-A"}} {
				code, _, stderr := status(t, admin, args...)
				if code != exitFound || !strings.Contains(stderr, "the journey-operator CRDs are not installed: the apiserver at ") ||
					!strings.Contains(stderr, "serves no cx.journeymap.dev/v1alpha1 JourneyMaps. Install them") {
					return fmt.Errorf("%v: exit %d:\n%s", args, code, stderr)
				}
			}
			return nil
		})
	})
}

// startControlPlane starts kube-apiserver and etcd with the CRDs for one
// test and stops them after it.
func startControlPlane(t *testing.T) *controlplane.Env {
	t.Helper()
	// envtest logs through controller-runtime's logger, which complains
	// with a stack trace when nobody set it.
	ctrllog.SetLogger(logr.Discard())
	env, err := controlplane.Start(controlplane.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Log(err)
		}
	})
	return env
}

// createScenario creates the scenario's namespace and objects, then
// writes their status through the status subresource.
func createScenario(t *testing.T, c client.Client, sc statusScenario) {
	t.Helper()
	ctx := context.Background()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: statusNamespace}}); err != nil {
		t.Fatal(err)
	}
	var objs []client.Object
	for _, p := range sc.personas {
		objs = append(objs, p.DeepCopy())
	}
	for _, m := range sc.maps {
		objs = append(objs, m.DeepCopy())
	}
	for _, m := range sc.monitors {
		objs = append(objs, m.DeepCopy())
	}
	for _, obj := range objs {
		status := obj.DeepCopyObject().(client.Object)
		obj.SetCreationTimestamp(metav1.Time{})
		if err := c.Create(ctx, obj); err != nil {
			t.Fatalf("creating %s: %v", obj.GetName(), err)
		}
		// Status is dropped on create: write it as the operator does.
		status.SetResourceVersion(obj.GetResourceVersion())
		status.SetCreationTimestamp(obj.GetCreationTimestamp())
		status.SetUID(obj.GetUID())
		status.SetGeneration(obj.GetGeneration())
		if err := c.Status().Update(ctx, status); err != nil {
			t.Fatalf("writing the status of %s: %v", obj.GetName(), err)
		}
	}
}

// restoreScenarioStatus writes the scenario's status again.
func restoreScenarioStatus(t *testing.T, c client.Client, sc statusScenario) {
	t.Helper()
	for _, m := range sc.monitors {
		setMonitorStatus(t, c, m.Name, func(s *cxv1alpha1.TouchpointMonitorStatus) { *s = *m.Status.DeepCopy() })
	}
	for _, m := range sc.maps {
		setMapStatus(t, c, m.Name, func(s *cxv1alpha1.JourneyMapStatus) { *s = *m.Status.DeepCopy() })
	}
	for _, p := range sc.personas {
		setPersonaStatus(t, c, p.Name, func(s *cxv1alpha1.PersonaStatus) { *s = *p.Status.DeepCopy() })
	}
}

func setMonitorStatus(t *testing.T, c client.Client, name string, change func(*cxv1alpha1.TouchpointMonitorStatus)) {
	t.Helper()
	updateStatus(t, c, &cxv1alpha1.TouchpointMonitor{}, name, func(obj client.Object) { change(&obj.(*cxv1alpha1.TouchpointMonitor).Status) })
}

func setMapStatus(t *testing.T, c client.Client, name string, change func(*cxv1alpha1.JourneyMapStatus)) {
	t.Helper()
	updateStatus(t, c, &cxv1alpha1.JourneyMap{}, name, func(obj client.Object) { change(&obj.(*cxv1alpha1.JourneyMap).Status) })
}

func setPersonaStatus(t *testing.T, c client.Client, name string, change func(*cxv1alpha1.PersonaStatus)) {
	t.Helper()
	updateStatus(t, c, &cxv1alpha1.Persona{}, name, func(obj client.Object) { change(&obj.(*cxv1alpha1.Persona).Status) })
}

func updateStatus(t *testing.T, c client.Client, obj client.Object, name string, change func(client.Object)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: statusNamespace, Name: name}, obj); err != nil {
			return err
		}
		change(obj)
		return c.Status().Update(context.Background(), obj)
	})
	if err != nil {
		t.Fatalf("status of %s: %v", name, err)
	}
}

// label changes an object in a way status does not show.
func label(t *testing.T, c client.Client, obj client.Object, name string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: statusNamespace, Name: name}, obj); err != nil {
			return err
		}
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["example.com/touched"] = "yes"
		obj.SetLabels(labels)
		return c.Update(context.Background(), obj)
	})
	if err != nil {
		t.Fatalf("labelling %s: %v", name, err)
	}
}

// closedAddress is a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func ptrTo[T any](v T) *T { return &v }

func readGolden(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// watchRun is kubectl journey status --watch running in the test, its
// frames recorded: the command writes each frame with one Write.
type watchRun struct {
	cancel context.CancelFunc
	done   chan int
	stderr bytes.Buffer

	mu      sync.Mutex
	written []string
}

func (w *watchRun) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written = append(w.written, string(p))
	return len(p), nil
}

func startWatch(t *testing.T, args ...string) *watchRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchRun{cancel: cancel, done: make(chan int, 1)}
	args = append([]string{"--watch"}, args...)
	go func() { w.done <- runStatus(ctx, args, w, &w.stderr) }()
	t.Cleanup(cancel)
	return w
}

func (w *watchRun) frames() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.written...)
}

func (w *watchRun) count() int { return len(w.frames()) }

func (w *watchRun) frame(i int) string { return w.frames()[i] }

func (w *watchRun) waitFrames(t *testing.T, n int) {
	t.Helper()
	testenv.Eventually(t, time.Minute, func() error {
		if got := w.count(); got < n {
			return fmt.Errorf("%d frames, want %d; stderr: %s", got, n, w.stderr.String())
		}
		return nil
	})
}

// waitFor waits for the last frame to say want.
func (w *watchRun) waitFor(t *testing.T, want string) {
	t.Helper()
	testenv.Eventually(t, time.Minute, func() error {
		frames := w.frames()
		if len(frames) == 0 || !strings.Contains(frames[len(frames)-1], want) {
			return fmt.Errorf("the last of %d frames does not say %q", len(frames), want)
		}
		return nil
	})
}

// stop interrupts the watch, as Ctrl-C would, and expects a clean exit.
func (w *watchRun) stop(t *testing.T) {
	t.Helper()
	w.cancel()
	select {
	case code := <-w.done:
		if code != exitOK {
			t.Errorf("watch ended with exit %d: %s", code, w.stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("watch did not stop")
	}
}

// testKubectlPlugin builds kubectl-journey into a directory that is the
// whole PATH and lets the real kubectl find and run it.
func testKubectlPlugin(t *testing.T, env *controlplane.Env, kubeconfig string) {
	pluginDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "kubectl-journey"), "./cmd/kubectl-journey")
	build.Dir = env.RepoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	kubectl := func(args ...string) (string, error) {
		cmd := exec.Command(env.Bin("kubectl"), args...)
		cmd.Env = []string{"PATH=" + pluginDir, "HOME=" + t.TempDir(), "KUBECONFIG=" + kubeconfig}
		cmd.Dir = env.RepoRoot
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := kubectl("plugin", "list")
	if err != nil || !strings.Contains(out, filepath.Join(pluginDir, "kubectl-journey")) || strings.Contains(out, "warning") {
		t.Errorf("kubectl plugin list: %v\n%s", err, out)
	}
	out, err = kubectl("journey", "--help")
	if err != nil || !strings.Contains(out, "kubectl journey status [NAME]") {
		t.Errorf("kubectl journey --help: %v\n%s", err, out)
	}
	out, err = kubectl("journey", "status", "--help")
	if err != nil || !strings.Contains(out, "kubectl journey status marketing-automation-trial --watch") {
		t.Errorf("kubectl journey status --help: %v\n%s", err, out)
	}
	out, err = kubectl("journey", "status", "marketing-automation-trial", "--kubeconfig", kubeconfig, "-n", statusNamespace)
	if err != nil || out != readGolden(t, "status-tree.txt") {
		t.Errorf("kubectl journey status: %v\n%s", err, out)
	}
	// KUBECONFIG from the environment, as kubectl passes it on.
	out, err = kubectl("journey", "status", "-A")
	if err != nil || out != readGolden(t, "status-list-all-namespaces.txt") {
		t.Errorf("kubectl journey status -A: %v\n%s", err, out)
	}
	out, err = kubectl("journey", "lint", "config/samples")
	if err != nil || !strings.Contains(out, "2 Personas, 2 JourneyMaps, 7 TouchpointMonitors; ignored 2 Secret; 0 errors") {
		t.Errorf("kubectl journey lint: %v\n%s", err, out)
	}
	out, err = kubectl("journey", "status", "no-such-journey", "-n", statusNamespace)
	if err == nil || !strings.Contains(out, `journeymap "no-such-journey" not found in namespace "shop"; its journeys are: business-phone-system, marketing-automation-trial`) {
		t.Errorf("kubectl journey status no-such-journey: %v\n%s", err, out)
	}
}
