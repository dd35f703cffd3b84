package render_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

func segmentedPersona(segment ...cxv1alpha1.SegmentMatcher) *cxv1alpha1.Persona {
	return &cxv1alpha1.Persona{
		ObjectMeta: metav1.ObjectMeta{Name: "startup-cmo", Namespace: "shop"},
		Spec:       cxv1alpha1.PersonaSpec{Segment: segment},
	}
}

var starterPlan = cxv1alpha1.SegmentMatcher{Name: "plan", Operator: cxv1alpha1.MatchEqual, Value: "starter"}

// TestFunnelBadInput: every KPI or segment the rules cannot be built from
// is refused with the spec field and what to write instead.
func TestFunnelBadInput(t *testing.T) {
	maps, _ := samples(t)
	for _, tc := range []struct {
		name    string
		query   string // the purchase stage's KPI query
		floor   string
		minRate string
		dropFor string
		persona *cxv1alpha1.Persona
		want    string
	}{
		{name: "query without the window placeholder", query: "sum(rate(shop_trial_signups_total[5m]))",
			want: "spec.stages[2].kpi.query: the range of shop_trial_signups_total[5m] is fixed at 5m; write [{{.window}}]"},
		{name: "query without any range", query: "sum(shop_trial_signups_total)",
			want: "spec.stages[2].kpi.query has no range [{{.window}}]"},
		{name: "query that is not PromQL", query: "sum(rate(shop_trial_signups_total[{{.window}}])",
			want: "spec.stages[2].kpi.query is not valid PromQL"},
		{name: "floor that is no fraction", query: "sum(rate(shop_trial_signups_total[{{.window}}]))", floor: "20%",
			want: `stage purchase: kpi.floor "20%" is not a fraction between 0 and 1`},
		{name: "minRate that is no number", query: "sum(rate(shop_trial_signups_total[{{.window}}]))", minRate: "many",
			want: `stage purchase: kpi.minRate "many" is not a number`},
		{name: "dropFor that is no duration", query: "sum(rate(shop_trial_signups_total[{{.window}}]))", dropFor: "soon",
			want: `stage purchase: kpi.dropFor "soon" is not a duration such as 10m`},
		{name: "query that already selects the segment's label", query: `sum(rate(shop_trial_signups_total{plan="free"}[{{.window}}]))`,
			persona: segmentedPersona(starterPlan),
			want:    `spec.stages[2].kpi.query: narrowing to the persona's segment: the selector shop_trial_signups_total{plan="free"} already matches label plan`},
		{name: "segment with an invalid regular expression", query: "sum(rate(shop_trial_signups_total[{{.window}}]))",
			persona: segmentedPersona(cxv1alpha1.SegmentMatcher{Name: "region", Operator: cxv1alpha1.MatchRegexp, Value: "eu-(west"}),
			want:    `persona startup-cmo: spec.segment[0]: region=~"eu-(west" is not a valid RE2 regular expression`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := maps["marketing-automation-trial"].DeepCopy()
			kpi := m.Spec.Stages[2].KPI
			kpi.Query, kpi.Floor, kpi.MinRate, kpi.DropFor = tc.query, tc.floor, tc.minRate, tc.dropFor
			_, err := render.JourneyRules(m, tc.persona, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestFunnelSkipsStagesWithoutQuery: conversion is recorded only between
// consecutive stages that both measure their entrants, so a stage without
// a query breaks the funnel rather than being jumped over, and a map with
// fewer than two queries records entrants and nothing else.
func TestFunnelSkipsStagesWithoutQuery(t *testing.T) {
	maps, _ := samples(t)
	m := maps["marketing-automation-trial"].DeepCopy()
	m.Spec.Stages[2].KPI.Query = "" // purchase: consideration and onboarding are left
	rules := ruleText(t, m, nil)
	for _, unwanted := range []string{"journey:stage_conversion:", "JourneyConversionDrop"} {
		if strings.Contains(rules, unwanted) {
			t.Errorf("a funnel with a gap at purchase still records %s:\n%s", unwanted, rules)
		}
	}
	// First and last measured stage still give the overall conversion.
	if !strings.Contains(rules, "record: journey:conversion:ratio_rate30m") || !strings.Contains(rules, "to_stage: onboarding") {
		t.Errorf("no overall conversion from consideration to onboarding:\n%s", rules)
	}
	m.Spec.Stages[1].KPI.Query = ""
	rules = ruleText(t, m, nil)
	if strings.Contains(rules, "journey:conversion:") || !strings.Contains(rules, "journey:stage_entrants:rate5m") {
		t.Errorf("one measured stage: want its entrants and no conversion:\n%s", rules)
	}
}

// TestSegmentNarrowsQueries: the persona's segment lands in every selector
// of the KPI queries and of the metric SLIs, and a monitor with a probe
// only has nothing to narrow and is unchanged.
func TestSegmentNarrowsQueries(t *testing.T) {
	maps, monitors := samples(t)
	persona := segmentedPersona(starterPlan)
	rules := ruleText(t, maps["marketing-automation-trial"], persona)
	for _, want := range []string{
		`sum(rate(shop_pricing_visits_total{plan="starter"}[5m]))`,
		`sum(rate(shop_trial_signups_total{plan="starter"}[30m]))`,
	} {
		if !strings.Contains(rules, want) {
			t.Errorf("the roll-up lacks %s:\n%s", want, rules)
		}
	}
	for _, m := range monitors {
		if m.Name != "checkout" && m.Name != "pricing-page" {
			continue
		}
		b := bind(t, maps, m)
		plain := monitorRuleText(t, b)
		b.Persona = persona
		narrowed := monitorRuleText(t, b)
		switch m.Name {
		case "checkout":
			for _, want := range []string{`checkout_completed_total{plan="starter",result="paid"}[5m]`, `checkout_attempts_total{plan="starter"}[5m]`} {
				if !strings.Contains(narrowed, want) {
					t.Errorf("checkout's metric SLI lacks %s:\n%s", want, narrowed)
				}
			}
		case "pricing-page":
			if narrowed != plain {
				t.Errorf("a probe-only monitor changed with the persona's segment:\n%s", narrowed)
			}
		}
	}

	// A metric SLI that selects the segment's label itself is refused,
	// naming the field.
	for _, m := range monitors {
		if m.Name == "checkout" {
			m = m.DeepCopy()
			m.Spec.Metric.TotalQuery = `sum(rate(checkout_attempts_total{plan="pro"}[{{.window}}]))`
			b := bind(t, maps, m)
			b.Persona = persona
			_, err := render.MonitorRules(b)
			if want := `spec.metric.totalQuery: narrowing to the persona's segment: the selector checkout_attempts_total{plan="pro"} already matches label plan`; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want one containing %q", err, want)
			}
		}
	}
}

func ruleText(t *testing.T, m *cxv1alpha1.JourneyMap, persona *cxv1alpha1.Persona) string {
	t.Helper()
	rules, err := render.JourneyRules(m, persona, []journey.TouchpointBinding{})
	if err != nil {
		t.Fatal(err)
	}
	file, err := render.RuleFile(rules.Groups)
	if err != nil {
		t.Fatal(err)
	}
	return string(file)
}

func monitorRuleText(t *testing.T, b journey.TouchpointBinding) string {
	t.Helper()
	rules, err := render.MonitorRules(b)
	if err != nil {
		t.Fatal(err)
	}
	file, err := render.RuleFile(rules.Groups)
	if err != nil {
		t.Fatal(err)
	}
	return string(file)
}
