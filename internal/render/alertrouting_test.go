package render_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/scheme"
	"github.com/journeymap/journey-operator/internal/series"
)

// routedSamples are the sample maps of namespace shop with their monitors,
// and receivers for some of their teams: business-phone-system routes
// provisioning and voice-platform and has a nightly maintenance window,
// marketing-automation-trial routes billing and growth, and (in conflict)
// provisioning elsewhere.
func routedSamples(t *testing.T) []render.RoutedJourney {
	t.Helper()
	maps, monitors := samples(t)
	receivers := map[string][]cxv1alpha1.TeamReceiver{
		"business-phone-system": {{Team: "provisioning", Receiver: "provisioning-pager"}, {Team: "voice-platform", Receiver: "voice-oncall"}},
		"marketing-automation-trial": {{Team: "billing", Receiver: "billing-pager"}, {Team: "growth", Receiver: "growth-slack"},
			{Team: "provisioning", Receiver: "growth-slack"}},
	}
	var journeys []render.RoutedJourney
	for _, name := range sortedNames(maps) {
		m := maps[name].DeepCopy()
		m.Spec.Alerting = &cxv1alpha1.JourneyAlerting{ReceiversFrom: &cxv1alpha1.LocalObjectReference{Name: "team-receivers"}, Receivers: receivers[name]}
		if name == "business-phone-system" {
			m.Spec.MaintenanceWindows = []cxv1alpha1.TimeWindow{{Name: "nightly", Start: "02:00", Duration: "1h", TimeZone: "Europe/Berlin"}}
		}
		j := render.RoutedJourney{Map: m}
		for _, monitor := range monitors {
			if monitor.Spec.JourneyMapRef.Name == name {
				b, _ := journey.Resolve(monitor, m)
				j.Monitored = append(j.Monitored, b)
			}
		}
		journeys = append(journeys, j)
	}
	return journeys
}

func sortedNames[V any](m map[string]V) []string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func TestAlertmanagerConfigGolden(t *testing.T) {
	journeys := routedSamples(t)
	routing := render.BuildRouting("shop", journeys)
	if len(routing.Conflicts) != 1 || routing.Conflicts[0].Map != "marketing-automation-trial" || routing.Conflicts[0].Route.Receiver != "provisioning-pager" {
		t.Errorf("want the second map's route of provisioning reported as a conflict, got %+v", routing.Conflicts)
	}
	var receivers []monitoringv1alpha1.Receiver
	for _, r := range routing.Routes {
		receivers = append(receivers, monitoringv1alpha1.Receiver{Name: r.Receiver, WebhookConfigs: []monitoringv1alpha1.WebhookConfig{{URL: ptr.To("http://hooks.example.com/" + r.Receiver)}}})
	}
	var owners []*cxv1alpha1.JourneyMap
	for _, j := range journeys {
		owners = append(owners, j.Map)
	}
	config, err := render.BuildAlertmanagerConfig(routing, receivers, owners, scheme.New())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "alertmanagerconfig-shop", config)
}

// TestAlertmanagerBlockPassesAmtool puts the plain block into a complete
// alertmanager.yml and has amtool, built from the Alertmanager module the
// e2e tests run, check it and resolve alerts through it: each team to its
// receiver, others to the default, and a team whose name needs quoting in
// a matcher (a map read from a file by kubectl journey is not validated by
// an apiserver) to its own receiver.
func TestAlertmanagerBlockPassesAmtool(t *testing.T) {
	journeys := routedSamples(t)
	odd := `payments "eu", {x}=y`
	journeys[0].Map.Spec.Alerting.Receivers = append(journeys[0].Map.Spec.Alerting.Receivers, cxv1alpha1.TeamReceiver{Team: odd, Receiver: "odd-pager"})
	block, err := render.AlertmanagerBlock([]render.Routing{render.BuildRouting("shop", journeys)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(block), `team="payments \"eu\", {x}=y"`) {
		t.Errorf("the odd team is not quoted and escaped in its matcher:\n%s", block)
	}

	var parts map[string]any
	if err := yaml.Unmarshal(block, &parts); err != nil {
		t.Fatal(err)
	}
	receivers := append([]any{map[string]any{"name": "default"}}, parts["receivers"].([]any)...)
	for _, name := range []string{"provisioning-pager", "voice-oncall", "billing-pager", "growth-slack", "odd-pager"} {
		receivers = append(receivers, map[string]any{"name": name, "webhook_configs": []any{map[string]any{"url": "http://hooks.example.com/" + name}}})
	}
	config := map[string]any{
		"route":         map[string]any{"receiver": "default", "routes": parts["route"].(map[string]any)["routes"]},
		"receivers":     receivers,
		"inhibit_rules": parts["inhibit_rules"],
	}
	data, err := yaml.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := amtool(t, "check-config", file); err != nil {
		t.Fatalf("amtool check-config rejects the generated routing: %v\n%s\n%s", err, out, data)
	}
	for _, tc := range []struct {
		labels []string
		want   string
	}{
		{[]string{`namespace=shop`, `journey=business-phone-system`, `team=provisioning`}, "provisioning-pager"},
		{[]string{`namespace=shop`, `journey=marketing-automation-trial`, `team=billing`}, "billing-pager"},
		{[]string{`namespace=shop`, `journey=marketing-automation-trial`, `team=support`}, "default"},
		{[]string{`namespace=other`, `journey=marketing-automation-trial`, `team=billing`}, "default"},
		{[]string{`namespace=shop`, `team=billing`, `alertname=NotAJourneyAlert`}, "default"},
		{[]string{`namespace=shop`, `journey=business-phone-system`, `team="payments \"eu\", {x}=y"`}, "odd-pager"},
		{[]string{`namespace=shop`, `journey=business-phone-system`, `team="payments \"eu\""`}, "default"},
		{[]string{`namespace=shop`, `journey=business-phone-system`, `team=provisioning`, `alertname=JourneyMaintenance`, `severity=none`}, render.NullReceiver},
	} {
		args := append([]string{"config", "routes", "test", "--config.file=" + file}, tc.labels...)
		out, err := amtool(t, args...)
		if got := strings.TrimSpace(out); err != nil || got != tc.want {
			t.Errorf("alert %v goes to %q (%v), want %q", tc.labels, got, err, tc.want)
		}
	}
}

func amtool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(filepath.Join(root, "bin", "amtool"), args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// TestEveryAlertCanBeRouted checks every generated alert of the samples for
// the labels routing and inhibition read, and a runbook link.
func TestEveryAlertCanBeRouted(t *testing.T) {
	journeys := routedSamples(t)
	for _, j := range journeys {
		var sets []render.RulesObject
		for _, b := range j.Monitored {
			rules, err := render.MonitorRules(b)
			if err != nil {
				t.Fatal(err)
			}
			sets = append(sets, rules)
		}
		rules, err := render.JourneyRules(j.Map, nil, j.Monitored)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, rules)
		for _, set := range sets {
			for _, g := range set.Groups {
				for _, r := range g.Rules {
					if r.Alert == "" {
						continue
					}
					want := []string{"namespace", "journey", "persona", "team", "severity"}
					switch r.Alert {
					case series.StageDegradedAlert, series.ConversionDropAlert:
						want = append(want, "stage")
					case series.CollectorDownAlert:
					default:
						want = append(want, "stage", "touchpoint", "sli")
					}
					for _, label := range want {
						if r.Labels[label] == "" {
							t.Errorf("%s of %s has no %s label", r.Alert, set.Name, label)
						}
					}
					if !strings.HasPrefix(r.Annotations["runbook_url"], "http") {
						t.Errorf("%s of %s links no runbook", r.Alert, set.Name)
					}
				}
			}
		}
	}
}
