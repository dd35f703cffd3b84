package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/controlplane"
)

// TestRenderAlertmanagerPassesAmtool renders the samples' routing for a
// plain Alertmanager, puts it into a complete configuration as the output
// says to, and has amtool check it.
func TestRenderAlertmanagerPassesAmtool(t *testing.T) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	phone, err := os.ReadFile(filepath.Join(root, "config", "samples", "cx_v1alpha1_journeymap_business-phone.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	routed := strings.Replace(string(phone), "\nspec:\n", "\nspec:\n  alerting:\n    receiversFrom: {name: team-receivers}\n    receivers:\n    - {team: provisioning, receiver: provisioning-pager}\n", 1)
	if routed == string(phone) {
		t.Fatal("the sample map has no spec to add alerting to")
	}
	if err := os.WriteFile(filepath.Join(dir, "business-phone.yaml"), []byte(routed), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cx_v1alpha1_persona_office-it-lead.yaml", "cx_v1alpha1_touchpointmonitor_porting-api.yaml", "cx_v1alpha1_touchpointmonitor_sip-gateway.yaml", "cx_v1alpha1_touchpointmonitor_admin-portal.yaml", "v1_secret_voice-internal-ca.yaml", "v1_secret_synthetic-probe-token.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "config", "samples", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := run(t, "", "render", "--alertmanager", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, `receiver: provisioning-pager`) || !strings.Contains(out, "inhibit_rules:") {
		t.Fatalf("the routing misses the route or the inhibition rules:\n%s", out)
	}
	// Put the routes under the configuration's own route, as the header
	// says, and add the receivers it names.
	var block map[string]any
	if err := yaml.Unmarshal([]byte(out), &block); err != nil {
		t.Fatal(err)
	}
	config, err := yaml.Marshal(map[string]any{
		"route":         map[string]any{"receiver": "default", "routes": block["route"].(map[string]any)["routes"]},
		"inhibit_rules": block["inhibit_rules"],
		"receivers": []any{map[string]any{"name": "default"},
			map[string]any{"name": "provisioning-pager", "webhook_configs": []any{map[string]any{"url": "http://hooks.example.com/provisioning"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(file, config, 0o644); err != nil {
		t.Fatal(err)
	}
	check, err := exec.Command(filepath.Join(root, "bin", "amtool"), "check-config", file).CombinedOutput()
	if err != nil || !strings.Contains(string(check), "SUCCESS") {
		t.Fatalf("amtool check-config: %v\n%s\n%s", err, check, config)
	}
}
