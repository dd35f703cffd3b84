package render_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/scheme"

	goldenfile "github.com/journeymap/journey-operator/internal/test/golden"
)

// samples loads the maps and monitors of config/samples into the namespace
// "shop", with the defaults the apiserver would apply left as the API
// documents them.
func samples(t *testing.T) (map[string]*cxv1alpha1.JourneyMap, []*cxv1alpha1.TouchpointMonitor) {
	t.Helper()
	files, err := filepath.Glob("../../config/samples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	maps := map[string]*cxv1alpha1.JourneyMap{}
	var monitors []*cxv1alpha1.TouchpointMonitor
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.Contains(string(data), "kind: JourneyMap"):
			m := &cxv1alpha1.JourneyMap{}
			mustUnmarshal(t, data, m)
			m.Namespace, m.UID = "shop", types.UID("uid-"+m.Name)
			maps[m.Name] = m
		case strings.Contains(string(data), "kind: TouchpointMonitor"):
			m := &cxv1alpha1.TouchpointMonitor{}
			mustUnmarshal(t, data, m)
			m.Namespace, m.UID = "shop", types.UID("uid-"+m.Name)
			monitors = append(monitors, m)
		}
	}
	return maps, monitors
}

func mustUnmarshal(t *testing.T, data []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatal(err)
	}
}

func bind(t *testing.T, maps map[string]*cxv1alpha1.JourneyMap, m *cxv1alpha1.TouchpointMonitor) journey.TouchpointBinding {
	t.Helper()
	b, ok := journey.Resolve(m, maps[m.Spec.JourneyMapRef.Name])
	if !ok {
		t.Fatalf("sample monitor %s names no touchpoint of its map", m.Name)
	}
	return b
}

// golden compares obj, as YAML, with testdata/name.golden.yaml.
func golden(t *testing.T, name string, obj any) {
	t.Helper()
	got, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	goldenfile.Check(t, name+".golden.yaml", got)
}

func TestMonitorRulesGolden(t *testing.T) {
	maps, monitors := samples(t)
	s := scheme.New()
	for _, m := range monitors {
		rules, err := render.MonitorRules(bind(t, maps, m))
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		rule, err := render.BuildPrometheusRule(rules, s)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "prometheusrule-"+m.Name, rule)
	}
}

func TestRuleConfigMapGolden(t *testing.T) {
	maps, monitors := samples(t)
	for _, m := range monitors {
		if m.Name != "pricing-page" {
			continue
		}
		rules, err := render.MonitorRules(bind(t, maps, m))
		if err != nil {
			t.Fatal(err)
		}
		cm, err := render.BuildRuleConfigMap(rules, scheme.New())
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "rule-configmap-"+m.Name, cm)
	}
}

func TestCollectorGolden(t *testing.T) {
	maps, monitors := samples(t)
	s := scheme.New()
	for name, journeyMap := range maps {
		c := render.Collector{Map: journeyMap, Image: "journey-probe:test", ServiceMonitor: true}
		for _, m := range monitors {
			if m.Spec.JourneyMapRef.Name == name && m.Spec.Probe != nil {
				c.Probed = append(c.Probed, bind(t, maps, m))
			}
		}
		configMap, err := render.BuildCollectorConfigMap(c, s)
		if err != nil {
			t.Fatal(err)
		}
		deployment, err := render.BuildCollectorDeployment(c, s)
		if err != nil {
			t.Fatal(err)
		}
		service, err := render.BuildCollectorService(c, s)
		if err != nil {
			t.Fatal(err)
		}
		serviceMonitor, err := render.BuildServiceMonitor(c, s)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "collector-"+name, []client.Object{configMap, deployment, service, serviceMonitor})

		config := render.ProbeConfig(c)
		if err := config.Validate(); err != nil {
			t.Errorf("journey-probe would reject the collector config of %s: %v", name, err)
		}
		if len(config.Probes) != len(c.Probed) {
			t.Errorf("%s: %d probes rendered for %d probed monitors", name, len(config.Probes), len(c.Probed))
		}
	}
}

func TestJourneyRulesGolden(t *testing.T) {
	maps, monitors := samples(t)
	for name, journeyMap := range maps {
		var bindings []journey.TouchpointBinding
		for _, m := range monitors {
			if m.Spec.JourneyMapRef.Name == name {
				bindings = append(bindings, bind(t, maps, m))
			}
		}
		rules, err := render.JourneyRules(journeyMap, nil, bindings)
		if err != nil {
			t.Fatal(err)
		}
		rule, err := render.BuildPrometheusRule(rules, scheme.New())
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "journey-rules-"+name, rule)
	}
}

// TestRulesParseWithPrometheus runs every generated rule through Prometheus'
// own rule-file loader and PromQL parser.
func TestRulesParseWithPrometheus(t *testing.T) {
	maps, monitors := samples(t)
	promql := parser.NewParser(parser.Options{})
	var sets []render.RulesObject
	for _, m := range monitors {
		rules, err := render.MonitorRules(bind(t, maps, m))
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, rules)
	}
	for name, journeyMap := range maps {
		var bindings []journey.TouchpointBinding
		for _, m := range monitors {
			if m.Spec.JourneyMapRef.Name == name {
				bindings = append(bindings, bind(t, maps, m))
			}
		}
		rules, err := render.JourneyRules(journeyMap, nil, bindings)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, rules)
	}
	groupNames := map[string]bool{}
	for _, set := range sets {
		file, err := render.RuleFile(set.Groups)
		if err != nil {
			t.Fatal(err)
		}
		if _, errs := rulefmt.Parse(file, false, model.UTF8Validation, promql, slog.Default()); len(errs) > 0 {
			t.Errorf("%s: Prometheus rejects the rule file: %v\n%s", set.Name, errs, file)
		}
		for _, g := range set.Groups {
			if groupNames[g.Name] {
				t.Errorf("rule group %q is generated twice", g.Name)
			}
			groupNames[g.Name] = true
			for _, r := range g.Rules {
				if _, err := promql.ParseExpr(r.Expr.String()); err != nil {
					t.Errorf("%s %s%s: %v", set.Name, r.Record, r.Alert, err)
				}
			}
		}
	}
}
