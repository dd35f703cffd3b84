package render_test

import (
	"strings"
	"testing"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestThresholdSLI: a level with a minimum fails while its worst series
// is below it, narrowed to the persona's segment; bad input is refused
// with the field and what is wrong.
func TestThresholdSLI(t *testing.T) {
	maps, _ := samples(t)
	bindWith := func(threshold cxv1alpha1.ThresholdSLI) *cxv1alpha1.TouchpointMonitor {
		m := onboardingCallMonitor()
		m.Spec.Metric.Threshold = &threshold
		return m
	}

	b := bind(t, maps, bindWith(cxv1alpha1.ThresholdSLI{Query: "avg by (location) (restaurant_rating_stars)", Min: "4.2"}))
	b.Persona = segmentedPersona(starterPlan)
	rules, err := render.MonitorRules(b)
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr.String())
		}
	}
	for _, want := range []string{
		`sum(min(avg by (location) (restaurant_rating_stars{plan="starter"})) < bool 4.2)`,
		`sum(count(avg by (location) (restaurant_rating_stars{plan="starter"})) > bool 0)`,
	} {
		if !strings.Contains(strings.Join(exprs, "\n"), want) {
			t.Errorf("the rules lack %s:\n%s", want, strings.Join(exprs, "\n"))
		}
	}

	for _, tc := range []struct {
		name      string
		threshold cxv1alpha1.ThresholdSLI
		segmented bool
		want      string
	}{
		{"a window placeholder", cxv1alpha1.ThresholdSLI{Query: "max(rate(wait_seconds_sum[{{.window}}]))", Max: "120"}, false,
			"spec.metric.threshold.query reads a level as it is now and takes no {{.window}} placeholder"},
		{"no PromQL", cxv1alpha1.ThresholdSLI{Query: "max(wait_seconds", Max: "120"}, false,
			"spec.metric.threshold.query is not valid PromQL"},
		{"a limit that is no number", cxv1alpha1.ThresholdSLI{Query: "max(wait_seconds)", Max: "two minutes"}, false,
			`spec.metric.threshold: "two minutes" is not a number`},
		{"a selector on the segment's label", cxv1alpha1.ThresholdSLI{Query: `max(wait_seconds{plan="growth"})`, Max: "120"}, true,
			`spec.metric.threshold.query: narrowing to the persona's segment: the selector wait_seconds{plan="growth"} already matches label plan`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bind(t, maps, bindWith(tc.threshold))
			if tc.segmented {
				b.Persona = segmentedPersona(starterPlan)
			}
			if _, err := render.MonitorRules(b); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
