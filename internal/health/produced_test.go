package health

import (
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/series"
)

// TestPollerReadsOnlyProducedSeries: every series a poller query selects
// is recorded by the rules the operator renders, exported by journey-probe
// or written by Prometheus itself (ALERTS), so that a renamed series fails
// here rather than leaving health Unknown in a cluster.
func TestPollerReadsOnlyProducedSeries(t *testing.T) {
	produced := map[string]bool{
		series.ProbeSuccess: true, series.ProbeDuration: true, series.ProbeTotal: true,
		"ALERTS": true, "ALERTS_FOR_STATE": true,
	}
	journeyMap := &cxv1alpha1.JourneyMap{Spec: cxv1alpha1.JourneyMapSpec{
		PersonaRef: cxv1alpha1.LocalObjectReference{Name: "startup-cmo"},
		Stages: []cxv1alpha1.Stage{
			{Name: "consideration", KPI: &cxv1alpha1.StageKPI{Query: "sum(rate(visits_total[{{.window}}]))"}},
			{Name: "purchase", KPI: &cxv1alpha1.StageKPI{Query: "sum(rate(signups_total[{{.window}}]))"}, Touchpoints: []cxv1alpha1.Touchpoint{{Name: "checkout", Channel: "web"}}},
		},
	}}
	journeyMap.Name, journeyMap.Namespace = "trial", "shop"
	var windows []string
	for _, window := range []string{"28d", "30d"} {
		monitor := &cxv1alpha1.TouchpointMonitor{Spec: cxv1alpha1.TouchpointMonitorSpec{
			Touchpoint: "checkout",
			Probe:      &cxv1alpha1.ProbeSpec{HTTP: &cxv1alpha1.HTTPProbe{HTTPRequest: cxv1alpha1.HTTPRequest{URL: "https://shop.example.com/checkout"}}},
			Objectives: cxv1alpha1.Objectives{Availability: "99.5", Window: window, Latency: &cxv1alpha1.LatencyObjective{}},
		}}
		monitor.Name, monitor.Namespace = "checkout-"+window, "shop"
		b, ok := journey.Resolve(monitor, journeyMap)
		if !ok {
			t.Fatal("touchpoint not in the map")
		}
		groups, err := render.MonitorRuleGroups(b)
		if err != nil {
			t.Fatal(err)
		}
		rollup, err := render.JourneyRules(journeyMap, nil, []journey.TouchpointBinding{b})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range append(groups, rollup.Groups...) {
			for _, r := range g.Rules {
				if r.Record != "" {
					produced[r.Record] = true
				}
			}
		}
		windows = append(windows, window)
	}

	for _, q := range queries(append([]string{shortWindow, lastHourWindow}, windows...), `namespace=~"shop"`) {
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(q.promql)
		if err != nil {
			t.Fatalf("query %s: %v", q.promql, err)
		}
		parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
			selector, ok := node.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			matched := 0
			for name := range produced {
				if matchesName(selector, name) {
					matched++
				}
			}
			if matched == 0 {
				t.Errorf("query %s selects %s, which no rule, collector or Prometheus produces", q.promql, selector)
			}
			return nil
		})
	}
	// Each funnel series the poller reads is recorded.
	for _, name := range []string{series.StageConversion + series.FunnelLongWindow, series.StageConversionBaseline, series.StageConversionDropped, series.JourneyConversion + series.FunnelLongWindow} {
		if !produced[name] {
			t.Errorf("the poller reads %s, which the rules do not record", name)
		}
	}
	// Each error-ratio window the poller reads is recorded.
	for _, w := range append([]string{shortWindow, lastHourWindow}, windows...) {
		if !produced[series.TouchpointErrors+w] {
			t.Errorf("the poller reads %s%s, which the rules do not record", series.TouchpointErrors, w)
		}
	}
}

func matchesName(selector *parser.VectorSelector, name string) bool {
	for _, m := range selector.LabelMatchers {
		if m.Name == model.MetricNameLabel {
			return m.Matches(name)
		}
	}
	return false
}
