package render_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/template"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// hostileTexts are texts that Prometheus' template language would read as
// (broken) templates if copied into an alert as they are.
var hostileTexts = []string{
	"{{ oops", "}}", "{{ .Value }}", "{{/*", "{{", "{", "a{", "`back`ticks`", `"quoted" and \backslashed\`,
	"line one\nline two", "Zoë 🚀 ünïcödé", "$value", "{{ $value }}", `{{ "x" }}`, "{{- trim -}}", "}}{{",
}

// freeTextFields are the fields of the objects whose text reaches an alert
// rule, each with a setter. The monitor is pricing-page, which has a probe,
// a latency objective, a runbook and routing labels, so every kind of
// touchpoint rule is rendered.
var freeTextFields = map[string]func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string){
	"map personaRef": func(m *cxv1alpha1.JourneyMap, _ *cxv1alpha1.TouchpointMonitor, text string) {
		m.Spec.PersonaRef.Name = text
	},
	"map owner": func(m *cxv1alpha1.JourneyMap, _ *cxv1alpha1.TouchpointMonitor, text string) { m.Spec.Owner = text },
	"stage name": func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		stageOf(m, mon).Name = text
	},
	"stage displayName": func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		stageOf(m, mon).DisplayName = text
	},
	"stage customerGoal": func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		stageOf(m, mon).CustomerGoal = text
	},
	"stage painPoints": func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		stageOf(m, mon).PainPoints = []string{text, "and " + text}
	},
	"touchpoint name": func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		touchpointOf(m, mon).Name, mon.Spec.Touchpoint = text, text
	},
	"touchpoint displayName": func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		touchpointOf(m, mon).DisplayName = text
	},
	"touchpoint owner": func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		touchpointOf(m, mon).Owner = text
	},
	"touchpoint channel": func(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		touchpointOf(m, mon).Channel = cxv1alpha1.Channel(text)
	},
	"monitor runbookURL": func(_ *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		mon.Spec.Alerting.RunbookURL = text
	},
	"monitor pageSeverity": func(_ *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		mon.Spec.Alerting.PageSeverity = text
	},
	"monitor ticketSeverity": func(_ *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		mon.Spec.Alerting.TicketSeverity = text
	},
	"monitor alert label": func(_ *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		mon.Spec.Alerting.Labels = map[string]string{"pager": text}
	},
	"monitor latency percent": func(_ *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor, text string) {
		mon.Spec.Objectives.Latency.Percent = text
	},
}

func stageOf(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor) *cxv1alpha1.Stage {
	b, ok := journey.Resolve(mon, m)
	if !ok {
		panic("the monitor names no touchpoint of its map")
	}
	return b.Stage
}

func touchpointOf(m *cxv1alpha1.JourneyMap, mon *cxv1alpha1.TouchpointMonitor) *cxv1alpha1.Touchpoint {
	b, ok := journey.Resolve(mon, m)
	if !ok {
		panic("the monitor names no touchpoint of its map")
	}
	return b.Touchpoint
}

// hostileRules renders the monitor and roll-up rules with text in one field.
func hostileRules(t *testing.T, set func(*cxv1alpha1.JourneyMap, *cxv1alpha1.TouchpointMonitor, string), text string) []monitoringv1.RuleGroup {
	t.Helper()
	maps, monitors := samples(t)
	var monitor *cxv1alpha1.TouchpointMonitor
	for _, m := range monitors {
		if m.Name == "pricing-page" {
			monitor = m.DeepCopy()
		}
	}
	journeyMap := maps[monitor.Spec.JourneyMapRef.Name].DeepCopy()
	set(journeyMap, monitor, text)
	b, ok := journey.Resolve(monitor, journeyMap)
	if !ok {
		t.Fatal("the monitor lost its touchpoint")
	}
	rules, err := render.MonitorRules(b)
	if err != nil {
		t.Fatal(err)
	}
	rollup, err := render.JourneyRules(journeyMap, nil, []journey.TouchpointBinding{b})
	if err != nil {
		t.Fatal(err)
	}
	return append(rules.Groups, rollup.Groups...)
}

// TestUserTextInTemplates puts each hostile text in each free-text field:
// Prometheus must load the rules, and every alert label and annotation
// must expand to exactly what it says with a plain marker in the field,
// the marker replaced by the text.
func TestUserTextInTemplates(t *testing.T) {
	const marker = "MARKERxyz"
	dir := t.TempDir()
	promql := parser.NewParser(parser.Options{})
	var files []string
	for field, set := range freeTextFields {
		plain := expandAlerts(t, hostileRules(t, set, marker))
		for i, text := range hostileTexts {
			groups := hostileRules(t, set, text)
			file, err := render.RuleFile(groups)
			if err != nil {
				t.Fatal(err)
			}
			if _, errs := rulefmt.Parse(file, false, model.UTF8Validation, promql, slog.Default()); len(errs) > 0 {
				t.Errorf("%s = %q: Prometheus rejects the rules: %v", field, text, errs)
				continue
			}
			name := filepath.Join(dir, fmt.Sprintf("%s-%02d.rules.yaml", strings.ReplaceAll(field, " ", "-"), i))
			if err := os.WriteFile(name, file, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, name)

			got := expandAlerts(t, groups)
			for key, want := range plain {
				want = strings.ReplaceAll(want, marker, text)
				if got[key] != want {
					t.Errorf("%s = %q: %s expands to\n%q, want\n%q", field, text, key, got[key], want)
				}
			}
		}
	}
	promtoolCheckRules(t, files)
}

// expandAlerts expands every alert label and annotation as Prometheus
// does when the alert fires (rules/alerting.go), by group index, alert,
// rule index and label or annotation name (group names hold object names).
func expandAlerts(t *testing.T, groups []monitoringv1.RuleGroup) map[string]string {
	t.Helper()
	defs := "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	data := template.AlertTemplateData(map[string]string{"instance": "x"}, nil, "", promql.Sample{F: 0.25})
	expanded := map[string]string{}
	for gi, g := range groups {
		for i, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			expand := func(kind string, texts map[string]string) {
				for k, text := range texts {
					e := template.NewTemplateExpander(context.Background(), defs+text, "alert", data, 0, nil, nil, nil)
					out, err := e.Expand()
					if err != nil {
						t.Errorf("%s %s %s: %v\n%s", r.Alert, kind, k, err, text)
					}
					expanded[fmt.Sprintf("group %d/%s/%d/%s %s", gi, r.Alert, i, kind, k)] = out
				}
			}
			expand("label", r.Labels)
			expand("annotation", r.Annotations)
		}
	}
	return expanded
}

// promtoolCheckRules runs the real `promtool check rules` on the files.
func promtoolCheckRules(t *testing.T, files []string) {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	promtool := filepath.Join(root, "bin", "promtool")
	if _, err := os.Stat(promtool); err != nil {
		t.Fatalf("promtool is not built (%v): run make tools", err)
	}
	out, err := exec.Command(promtool, append([]string{"check", "rules"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}
