package install

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

const (
	chartDir = "charts/journey-operator"
	// helmRelease differs from the chart name so the chart's objects do
	// not collide with the kustomize install of the same control plane.
	helmRelease   = "journeys"
	helmNamespace = "journey-helm"
)

// manifest is one way of installing the operator, rendered.
type manifest struct {
	name string
	yaml []byte
}

func (m manifest) objects() []*unstructured.Unstructured { return splitDocuments(m.yaml) }

// chartValueFiles are the chart's defaults ("") and every ci/*-values.yaml,
// which turn on what the defaults leave off.
func chartValueFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(env.RepoRoot, chartDir, "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{""}, files...)
}

func helmArgs(valuesFile string, args ...string) []string {
	if valuesFile != "" {
		args = append(args, "--values", valuesFile)
	}
	return args
}

func valuesName(valuesFile string) string {
	if valuesFile == "" {
		return "default values"
	}
	return filepath.Base(valuesFile)
}

// renderChart runs `helm template` for one values file, CRDs included.
func renderChart(t *testing.T, valuesFile string) manifest {
	t.Helper()
	out, stderr, err := helm(helmArgs(valuesFile, "template", helmRelease, chartDir, "--namespace", helmNamespace, "--include-crds")...)
	if err != nil {
		t.Fatalf("helm template with %s: %v\n%s", valuesName(valuesFile), err, stderr)
	}
	return manifest{name: "helm chart with " + valuesName(valuesFile), yaml: []byte(out)}
}

// renderKustomize builds config/default with the kustomize built into
// kubectl.
func renderKustomize(t *testing.T) manifest {
	t.Helper()
	out, stderr, err := kubectl(nil, "kustomize", "config/default")
	if err != nil {
		t.Fatalf("kubectl kustomize config/default: %v\n%s", err, stderr)
	}
	return manifest{name: "kustomize config/default", yaml: []byte(out)}
}

// allManifests renders every supported way of installing.
func allManifests(t *testing.T) []manifest {
	t.Helper()
	out := []manifest{renderKustomize(t)}
	for _, f := range chartValueFiles(t) {
		out = append(out, renderChart(t, f))
	}
	return out
}

func TestHelmLint(t *testing.T) {
	for _, f := range chartValueFiles(t) {
		out, stderr, err := helm(helmArgs(f, "lint", "--strict", chartDir)...)
		if err != nil {
			t.Errorf("helm lint --strict with %s: %v\n%s%s", valuesName(f), err, out, stderr)
		}
	}
}

// TestInstallByServerDryRun sends the chart's and kustomize's output to the
// apiserver as a server-side apply dry run: every object must be accepted
// by the real schemas, CRDs and admission, including the restricted Pod
// Security Standard, which the target namespaces enforce and which the
// apiserver reports for a Deployment as a warning.
func TestInstallByServerDryRun(t *testing.T) {
	createNamespace(t, helmNamespace)
	for _, m := range allManifests(t) {
		t.Run(m.name, func(t *testing.T) {
			out, stderr, err := kubectl(m.yaml, "apply", "--server-side", "--dry-run=server", "-f", "-")
			if err != nil {
				t.Fatalf("server-side dry run refused: %v\n%s", err, stderr)
			}
			if strings.Contains(stderr, "Warning") {
				t.Errorf("the apiserver warned:\n%s", stderr)
			}
			if !strings.Contains(out, "deployment.apps/") {
				t.Errorf("no Deployment was applied:\n%s", out)
			}
		})
	}
}

// TestChartClusterRoleIsTheGeneratedRole keeps the chart's RBAC identical to
// what controller-gen generates from the +kubebuilder:rbac markers.
func TestChartClusterRoleIsTheGeneratedRole(t *testing.T) {
	generated, err := os.ReadFile(filepath.Join(env.RepoRoot, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile(filepath.Join(env.RepoRoot, chartDir, "files", "manager-role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(generated, copied) {
		t.Errorf("%s/files/manager-role.yaml differs from config/rbac/role.yaml: run `make manifests`", chartDir)
	}
	var want rbacv1.ClusterRole
	if err := yaml.Unmarshal(generated, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Rules) == 0 {
		t.Fatal("config/rbac/role.yaml has no rules")
	}
	for _, f := range chartValueFiles(t) {
		m := renderChart(t, f)
		var got *rbacv1.ClusterRole
		for _, obj := range m.objects() {
			if obj.GetKind() == "ClusterRole" && obj.GetName() == helmRelease+"-journey-operator-manager" {
				got = &rbacv1.ClusterRole{}
				fromUnstructured(t, obj, got)
			}
		}
		if got == nil {
			t.Fatalf("%s: no manager ClusterRole", m.name)
		}
		if missing, extra := ruleDifference(want.Rules, got.Rules), ruleDifference(got.Rules, want.Rules); len(missing)+len(extra) > 0 {
			t.Errorf("%s: the manager ClusterRole differs from config/rbac/role.yaml\nmissing: %s\nextra:   %s",
				m.name, strings.Join(missing, "; "), strings.Join(extra, "; "))
		}
	}
}

// TestDeploymentsAreHardened checks what the restricted Pod Security
// Standard does not require but a hardened operator has: a read-only root
// filesystem and probes on the manager's health endpoints.
func TestDeploymentsAreHardened(t *testing.T) {
	for _, m := range allManifests(t) {
		d := managerDeployment(t, m)
		pod := d.Spec.Template.Spec
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
			pod.SecurityContext.SeccompProfile == nil || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod securityContext %+v, want runAsNonRoot and seccomp RuntimeDefault", m.name, pod.SecurityContext)
		}
		c := pod.Containers[0]
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("%s: container securityContext %+v, want read-only root, no privilege escalation, drop ALL", m.name, sc)
		}
		for probe, path := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
			if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != path || probe.HTTPGet.Port.String() != "health" {
				t.Errorf("%s: want an HTTP probe on %s at the health port, got %+v", m.name, path, probe)
			}
		}
		if !hasPort(c, "health", 8081) {
			t.Errorf("%s: no health port 8081 in %+v", m.name, c.Ports)
		}
		if c.Resources.Requests == nil || c.Resources.Limits == nil {
			t.Errorf("%s: no resource requests and limits", m.name)
		}
	}
}

// TestManifestArgsAreManagerFlags runs the real journey-operator binary
// with the arguments of every rendered Deployment: a flag the manager does
// not define would crash-loop the pod.
func TestManifestArgsAreManagerFlags(t *testing.T) {
	binary := filepath.Join(t.TempDir(), "journey-operator")
	build := exec.Command("go", "build", "-o", binary, "./cmd/journey-operator")
	build.Dir = env.RepoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	for _, m := range allManifests(t) {
		args := managerDeployment(t, m).Spec.Template.Spec.Containers[0].Args
		// Flags parse in order, so --help last is reached only when every
		// flag before it is defined; it then exits 0 without starting.
		out, err := exec.Command(binary, append(args, "--help")...).CombinedOutput()
		if err != nil {
			t.Errorf("%s: journey-operator %s: %v\n%s", m.name, strings.Join(args, " "), err, out)
		}
	}
}

func managerDeployment(t *testing.T, m manifest) *appsv1.Deployment {
	t.Helper()
	for _, obj := range m.objects() {
		if obj.GetKind() == "Deployment" {
			d := &appsv1.Deployment{}
			fromUnstructured(t, obj, d)
			if len(d.Spec.Template.Spec.Containers) != 1 || d.Spec.Template.Spec.Containers[0].Name != "manager" {
				t.Fatalf("%s: want one container named manager, got %+v", m.name, d.Spec.Template.Spec.Containers)
			}
			return d
		}
	}
	t.Fatalf("%s: no Deployment", m.name)
	return nil
}

// ruleDifference lists the rules of a that b lacks, each written out.
func ruleDifference(a, b []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range a {
		if !slices.ContainsFunc(b, func(o rbacv1.PolicyRule) bool { return reflect.DeepEqual(r, o) }) {
			out = append(out, r.String())
		}
	}
	return out
}

func hasPort(c corev1.Container, name string, port int32) bool {
	for _, p := range c.Ports {
		if p.Name == name && p.ContainerPort == port {
			return true
		}
	}
	return false
}

func fromUnstructured(t *testing.T, obj *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into); err != nil {
		t.Fatalf("%s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
}
