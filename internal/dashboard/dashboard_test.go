package dashboard_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	grafana "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/prometheus/promql/parser"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/dashboard"
	"github.com/journeymap/journey-operator/internal/dashboard/dashboardtest"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"

	goldenfile "github.com/journeymap/journey-operator/internal/test/golden"
)

// sample is a map of config/samples with its bound monitors.
type sample struct {
	journeyMap *cxv1alpha1.JourneyMap
	bindings   []journey.TouchpointBinding
}

// samples loads config/samples into the namespace "shop", each monitor
// bound to its map and the map's persona, as the reconciler binds them.
func samples(t *testing.T) map[string]sample {
	t.Helper()
	files, err := filepath.Glob("../../config/samples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	maps, personas := map[string]*cxv1alpha1.JourneyMap{}, map[string]*cxv1alpha1.Persona{}
	var monitors []*cxv1alpha1.TouchpointMonitor
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var into interface{ SetNamespace(string) }
		switch {
		case strings.Contains(string(data), "kind: JourneyMap"):
			m := &cxv1alpha1.JourneyMap{}
			maps[strings.TrimSpace(name(t, data))], into = m, m
		case strings.Contains(string(data), "kind: Persona"):
			p := &cxv1alpha1.Persona{}
			personas[strings.TrimSpace(name(t, data))], into = p, p
		case strings.Contains(string(data), "kind: TouchpointMonitor"):
			m := &cxv1alpha1.TouchpointMonitor{}
			monitors, into = append(monitors, m), m
		default:
			continue
		}
		if err := yaml.UnmarshalStrict(data, into); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		into.SetNamespace("shop")
	}
	out := map[string]sample{}
	for n, m := range maps {
		out[n] = sample{journeyMap: m}
	}
	for _, mon := range monitors {
		s := out[mon.Spec.JourneyMapRef.Name]
		b, ok := journey.Resolve(mon, s.journeyMap)
		if !ok {
			t.Fatalf("sample monitor %s names no touchpoint of its map", mon.Name)
		}
		b.Persona = personas[s.journeyMap.Spec.PersonaRef.Name]
		s.bindings = append(s.bindings, b)
		out[mon.Spec.JourneyMapRef.Name] = s
	}
	return out
}

func name(t *testing.T, data []byte) string {
	t.Helper()
	var meta struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	return meta.Metadata.Name
}

func TestDashboardGolden(t *testing.T) {
	for n, s := range samples(t) {
		compact, err := dashboard.Build(s.journeyMap, s.bindings)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		// The ConfigMap holds compact JSON; the golden file the same,
		// indented to be read.
		var indented bytes.Buffer
		if err := json.Indent(&indented, compact, "", " "); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		got := append(indented.Bytes(), '\n')
		goldenfile.Check(t, n+".golden.json", got)
	}
}

// TestDashboardLayout checks what the golden files are meant to show: a
// row per stage in the spec's order, led by the stage's success where a
// monitor observes it, a panel per touchpoint in it, the monitored ones
// with four values (three without a latency objective) and the others with
// none, the journey row first.
func TestDashboardLayout(t *testing.T) {
	for n, s := range samples(t) {
		d := build(t, s)
		var rows []string
		titles := map[string][]string{}
		targets := map[string]int{}
		for _, p := range d.Panels {
			if p.RowPanel != nil {
				rows = append(rows, *p.RowPanel.Title)
				continue
			}
			row := rows[len(rows)-1]
			titles[row] = append(titles[row], *p.Panel.Title)
			targets[*p.Panel.Title] = len(p.Panel.Targets)
		}
		want := []string{"Journey"}
		for i, stage := range s.journeyMap.Spec.Stages {
			want = append(want, fmt.Sprintf("Stage %d: %s", i+1, displayOr(stage.DisplayName, stage.Name)))
		}
		if !slices.Equal(rows, want) {
			t.Errorf("%s: rows %q, want %q", n, rows, want)
		}
		monitored := map[string]journey.TouchpointBinding{}
		for _, b := range s.bindings {
			monitored[b.Touchpoint.Name] = b
		}
		for i, stage := range s.journeyMap.Spec.Stages {
			var wantTitles []string
			for _, tp := range stage.Touchpoints {
				if _, ok := monitored[tp.Name]; ok && len(wantTitles) == 0 {
					wantTitles = append(wantTitles, "Customers who get through the stage")
				}
			}
			for _, tp := range stage.Touchpoints {
				title := displayOr(tp.DisplayName, tp.Name)
				wantTitles = append(wantTitles, title)
				wantTargets := 0
				if b, ok := monitored[tp.Name]; ok {
					wantTargets = 3
					if b.Latency() != nil {
						wantTargets = 4
					}
				}
				if targets[title] != wantTargets {
					t.Errorf("%s: touchpoint %s has %d queries, want %d", n, tp.Name, targets[title], wantTargets)
				}
			}
			if got := titles[want[i+1]]; !slices.Equal(got, wantTitles) {
				t.Errorf("%s: stage %s shows %q, want %q", n, stage.Name, got, wantTitles)
			}
		}
	}
}

// build builds a sample's dashboard and reads it back with the SDK, as
// Grafana's own schema reads it.
func build(t *testing.T, s sample) grafana.Dashboard { //nolint:staticcheck // the classic model the builder writes
	t.Helper()
	data, err := dashboard.Build(s.journeyMap, s.bindings)
	if err != nil {
		t.Fatal(err)
	}
	plugins.RegisterDefaultPlugins()
	var d grafana.Dashboard //nolint:staticcheck // the classic model the builder writes
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("the dashboard does not read back: %v", err)
	}
	return d
}

// TestQueriesReadRecordedSeries parses every query of every sample
// dashboard, its variables expanded, with Prometheus' parser, and checks
// that each series it reads is one the operator's rules record for the
// sample (or ALERTS): a renamed or mistyped rule name fails here, before
// the end-to-end test runs the queries against Prometheus.
func TestQueriesReadRecordedSeries(t *testing.T) {
	for n, s := range samples(t) {
		recorded := map[string]bool{"ALERTS": true}
		rules, err := render.JourneyRules(s.journeyMap, nil, s.bindings)
		if err != nil {
			t.Fatal(err)
		}
		groups := rules.Groups
		for _, b := range s.bindings {
			g, err := render.MonitorRuleGroups(b)
			if err != nil {
				t.Fatal(err)
			}
			groups = append(groups, g...)
		}
		for _, g := range groups {
			for _, r := range g.Rules {
				recorded[r.Record] = r.Record != ""
			}
		}
		data, err := dashboard.Build(s.journeyMap, s.bindings)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dashboardtest.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		vars := d.Variables()
		if vars[dashboard.JourneyVariable] != n || vars[dashboard.PersonaVariable] != s.journeyMap.Spec.PersonaRef.Name || vars[dashboard.NamespaceVariable] != "shop" {
			t.Errorf("%s: variables %v", n, vars)
		}
		vars[dashboard.DatasourceVariable] = "prometheus"
		targets := d.Targets()
		if len(targets) == 0 {
			t.Fatalf("%s: no queries", n)
		}
		for _, target := range targets {
			expr, err := dashboardtest.Expand(target.Expr, vars, time.Hour, time.Minute, 15*time.Second)
			if err != nil {
				t.Fatalf("%s, panel %q: %v", n, target.Panel, err)
			}
			parsed, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
			if err != nil {
				t.Fatalf("%s, panel %q, query %s: %v", n, target.Panel, target.RefID, err)
			}
			for _, sel := range parser.ExtractSelectors(parsed) {
				for _, m := range sel {
					if m.Name == "__name__" && !recorded[m.Value] {
						t.Errorf("%s, panel %q: query %s reads %s, which no rule of the map records", n, target.Panel, expr, m.Value)
					}
				}
			}
		}
	}
}

// TestUnusualMaps builds dashboards of maps at the API's limits and with
// hostile text where the user writes free text: the JSON stays valid and
// reads back, the UID stays within Grafana's limit, and the output is the
// same every time.
func TestUnusualMaps(t *testing.T) {
	hostile := "\"}, {\"evil\": true} </script><script>window.pwned=1</script> {{ .Values }} ${__user.login} $journey \\ \n\t \u202eRTL ünïcødé 🚀"
	long := strings.Repeat("a", validation.DNS1123SubdomainMaxLength)
	cases := map[string]func(*sample){
		"names at the API's limits": func(s *sample) {
			s.journeyMap.Name = long
			s.journeyMap.Namespace = strings.Repeat("n", validation.DNS1123LabelMaxLength)
			s.journeyMap.Spec.PersonaRef.Name = long
		},
		"hostile display names and goal": func(s *sample) {
			s.journeyMap.Spec.Goal = hostile
			for i := range s.journeyMap.Spec.Stages {
				s.journeyMap.Spec.Stages[i].DisplayName = hostile
				for j := range s.journeyMap.Spec.Stages[i].Touchpoints {
					s.journeyMap.Spec.Stages[i].Touchpoints[j].DisplayName = hostile
				}
			}
		},
		"no stages": func(s *sample) {
			s.journeyMap.Spec.Stages, s.bindings = nil, nil
		},
	}
	for n, mutate := range cases {
		t.Run(n, func(t *testing.T) {
			s := samples(t)["marketing-automation-trial"]
			mutate(&s)
			first, err := dashboard.Build(s.journeyMap, s.bindings)
			if err != nil {
				t.Fatal(err)
			}
			again, err := dashboard.Build(s.journeyMap, s.bindings)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, again) {
				t.Error("two builds of one map differ")
			}
			if !json.Valid(first) {
				t.Fatalf("invalid JSON:\n%s", first)
			}
			d := build(t, s)
			if d.Uid == nil || len(*d.Uid) > 40 || *d.Uid != dashboard.UID(s.journeyMap.Namespace, s.journeyMap.Name) {
				t.Errorf("UID %v: want dashboard.UID, at most 40 characters", d.Uid)
			}
			if n == "hostile display names and goal" && !strings.Contains(string(first), `\u003c/script\u003e`) {
				t.Error("markup in display names is not escaped in the JSON")
			}
		})
	}
}

// maxConfigMapData is what the apiserver admits in one ConfigMap.
const maxConfigMapData = 1 << 20

// TestLargestMapFitsAConfigMap builds the dashboard of the largest map the
// API admits, 12 stages of 16 monitored touchpoints with latency
// objectives and names and display names at their limits: it must fit the
// one ConfigMap the sidecar reads, with room to spare.
func TestLargestMapFitsAConfigMap(t *testing.T) {
	s := samples(t)["marketing-automation-trial"]
	template := s.bindings[0].Monitor
	m := s.journeyMap.DeepCopy()
	m.Name = strings.Repeat("m", validation.DNS1123SubdomainMaxLength)
	m.Spec.Stages = nil
	var bindings []journey.TouchpointBinding
	for i := range 12 {
		stage := cxv1alpha1.Stage{Name: fmt.Sprintf("%s%02d", strings.Repeat("s", 61), i), DisplayName: strings.Repeat("S", 128)}
		for j := range 16 {
			stage.Touchpoints = append(stage.Touchpoints, cxv1alpha1.Touchpoint{
				Name: fmt.Sprintf("%s%02d%02d", strings.Repeat("t", 59), i, j), DisplayName: strings.Repeat("T", 128), Channel: "web",
			})
		}
		m.Spec.Stages = append(m.Spec.Stages, stage)
	}
	for i := range m.Spec.Stages {
		for j := range m.Spec.Stages[i].Touchpoints {
			mon := template.DeepCopy()
			mon.Name, mon.Spec.Touchpoint = m.Spec.Stages[i].Touchpoints[j].Name, m.Spec.Stages[i].Touchpoints[j].Name
			mon.Spec.Objectives.Latency = &cxv1alpha1.LatencyObjective{Threshold: metav1.Duration{Duration: 800 * time.Millisecond}}
			b, ok := journey.Resolve(mon, m)
			if !ok {
				t.Fatal("touchpoint not in the map")
			}
			bindings = append(bindings, b)
		}
	}
	data, err := dashboard.Build(m, bindings)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the largest map's dashboard: %d KiB for %d touchpoints", len(data)>>10, len(bindings))
	if len(data) > maxConfigMapData/2 {
		t.Errorf("the largest map's dashboard is %d KiB, more than half of the %d KiB a ConfigMap holds", len(data)>>10, maxConfigMapData>>10)
	}
}

func TestUID(t *testing.T) {
	a, b := dashboard.UID("a", "b-c"), dashboard.UID("a-b", "c")
	if a == b {
		t.Errorf("namespace a map b-c and namespace a-b map c share UID %s", a)
	}
	if a != dashboard.UID("a", "b-c") {
		t.Error("the UID of one map changes between calls")
	}
}

func displayOr(display, name string) string {
	if display != "" {
		return display
	}
	return name
}
