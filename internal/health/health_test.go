package health

import (
	"slices"
	"strings"
	"testing"
	"time"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

func ptr(v float64) *float64 { return &v }

func TestJudge(t *testing.T) {
	objective := Objective{Budget: 0.005, PageErrorRatio: 0.005 * 14.4, PageSeverity: "critical", LatencyThreshold: 800 * time.Millisecond}
	healthy := Observation{ErrorsShort: ptr(0), ErrorsLastHour: ptr(0.001), ErrorsObjective: ptr(0.002), ProbeSuccess: ptr(1), LatencySeconds: ptr(0.2)}
	with := func(change func(*Observation)) Observation {
		o := healthy
		change(&o)
		return o
	}
	page := Alert{Name: "JourneyTouchpointErrorBudgetBurn", Severity: "critical"}
	cases := []struct {
		name   string
		obs    Observation
		want   cxv1alpha1.Health
		reason string
	}{
		{"no data", Observation{}, cxv1alpha1.HealthUnknown, ReasonNoData},
		{"healthy", healthy, cxv1alpha1.HealthHealthy, ReasonMeeting},
		{"probe failing now", with(func(o *Observation) { o.ProbeSuccess = ptr(0) }), cxv1alpha1.HealthCritical, ReasonProbeFailing},
		{"5m ratio of real traffic above the page threshold", with(func(o *Observation) { o.MetricErrorsShort = ptr(0.2) }),
			cxv1alpha1.HealthCritical, ReasonTrafficFailing},
		{"5m ratio of real traffic below the page threshold", with(func(o *Observation) { o.MetricErrorsShort = ptr(0.05) }),
			cxv1alpha1.HealthHealthy, ReasonMeeting},
		{"probe failing and page alert firing", with(func(o *Observation) { o.ProbeSuccess = ptr(0); o.Alerts = []Alert{page} }),
			cxv1alpha1.HealthCritical, ReasonProbeFailing},
		// The probe works again, its own 5m ratio still remembers the
		// outage, the page alert still fires and the budget is spent:
		// customers get through, so not Critical.
		{"recovered with page alert still firing", with(func(o *Observation) {
			o.ErrorsShort, o.ErrorsObjective, o.Alerts = ptr(0.4), ptr(0.02), []Alert{page}
		}), cxv1alpha1.HealthDegraded, ReasonRecovering + ", " + ReasonBudgetSpent},
		{"ticket alert", with(func(o *Observation) {
			o.Alerts = []Alert{{Name: "JourneyTouchpointErrorBudgetBurn", Severity: "warning"}}
		}), cxv1alpha1.HealthDegraded, ReasonOtherAlert},
		{"budget spent but working now", with(func(o *Observation) { o.ErrorsObjective = ptr(0.006) }), cxv1alpha1.HealthDegraded, ReasonBudgetSpent},
		{"last hour below objective", with(func(o *Observation) { o.ErrorsLastHour = ptr(0.02) }), cxv1alpha1.HealthDegraded, ReasonBelowObjective},
		{"slow", with(func(o *Observation) { o.LatencySeconds = ptr(1.2) }), cxv1alpha1.HealthDegraded, ReasonSlow},
	}
	for _, tc := range cases {
		v := Judge(tc.obs, objective)
		if v.Health != tc.want || v.Reason != tc.reason {
			t.Errorf("%s: %s (%s), want %s (%s)", tc.name, v.Health, v.Reason, tc.want, tc.reason)
		}
	}

	v := Judge(healthy, objective)
	want := cxv1alpha1.SLIStatus{Availability: "99.80", AvailabilityLastHour: "99.90", Latency: "200ms", ErrorBudgetRemaining: "60", BurnRate: "0.20"}
	if v.SLI != want {
		t.Errorf("SLI %+v, want %+v", v.SLI, want)
	}
	if got := Judge(with(func(o *Observation) { o.ErrorsObjective = ptr(0.00001) }), objective).SLI.Availability; got != "99.99" {
		t.Errorf("a failure must never print as 100.00, got %s", got)
	}
}

// Live traffic moves the raw numbers at every poll; the quantised ones
// move only when a person would act differently.
func TestQuantisation(t *testing.T) {
	cases := []struct{ name, got, want string }{
		{"burn rate, 2 significant digits", burnRate(1.234), "1.2"},
		{"burn rate above 10", burnRate(14.46), "14"},
		{"burn rate no finer than 0.01", burnRate(0.0012), "0.00"},
		{"burn rate below 1", burnRate(0.2049), "0.20"},
		{"burn rate in the hundreds", burnRate(123.4), "120"},
		{"latency in ms", latency(0.2345), "230ms"},
		{"latency in s", latency(1.234), "1.2s"},
		{"latency no finer than 1ms", latency(0.00045), "0s"},
		{"latency of a few ms", latency(0.0047), "5ms"},
		{"budget rounded down", budgetRemaining(0.002, 0.005), "60"},
		{"budget just overspent shows negative", budgetRemaining(0.00501, 0.005), "-1"},
		{"budget whole percent", budgetRemaining(0.0020004, 0.005), "59"},
		{"availability", percent(1 - 0.00123), "99.88"},
		{"success ratio", FormatRatio(0.973149), "0.9731"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	// Latency wobbling by a few ms around 230ms writes nothing.
	if latency(0.2312) != latency(0.2338) {
		t.Errorf("230ms wobbles: %s vs %s", latency(0.2312), latency(0.2338))
	}
}

func TestRollUp(t *testing.T) {
	stages := []string{"awareness", "consideration", "purchase", "advocacy"}
	touchpoints := []Touchpoint{
		{Stage: "awareness", Name: "blog", Criticality: cxv1alpha1.CriticalityLow, Health: cxv1alpha1.HealthCritical},
		{Stage: "consideration", Name: "pricing", Criticality: cxv1alpha1.CriticalityHigh, Health: cxv1alpha1.HealthHealthy},
		{Stage: "purchase", Name: "checkout", Criticality: cxv1alpha1.CriticalityCritical, Health: cxv1alpha1.HealthCritical, FiringAlerts: 2},
		{Stage: "purchase", Name: "signup", Criticality: cxv1alpha1.CriticalityCritical, Health: cxv1alpha1.HealthHealthy},
	}
	j := RollUp(stages, touchpoints, nil)
	if j.Health != cxv1alpha1.HealthCritical || j.WeakestStage != "purchase" || j.FiringAlerts != 2 {
		t.Errorf("journey %+v", j)
	}
	// A failing low-criticality touchpoint degrades its stage, no more.
	if j.Stages[0].Health != cxv1alpha1.HealthDegraded {
		t.Errorf("awareness is %s, want Degraded", j.Stages[0].Health)
	}
	// Weighted: blog 0×1, pricing 100×3, checkout 0×5, signup 100×5 → 800/14.
	if j.Score == nil || *j.Score != 57 {
		t.Errorf("score %v, want 57", j.Score)
	}
	if j.Stages[3].Health != cxv1alpha1.HealthUnknown || j.Stages[3].Score != nil {
		t.Errorf("an unmonitored stage is %+v, want Unknown without score", j.Stages[3])
	}

	empty := RollUp(stages, nil, nil)
	if empty.Health != cxv1alpha1.HealthUnknown || empty.Score != nil || empty.WeakestStage != "" {
		t.Errorf("a map without data: %+v", empty)
	}

	p := RollUpPersona([]Journey{j, {Health: cxv1alpha1.HealthHealthy, Score: ptr32(100)}, empty})
	if p.Health != cxv1alpha1.HealthCritical || p.Score == nil || *p.Score != 79 {
		t.Errorf("persona %+v (score %v)", p, p.Score)
	}
}

// TestRollUpLosingStages: a stage whose conversion dropped is at least
// Degraded with healthy touchpoints, and even with none monitored; it
// becomes the weakest stage; a Critical stage stays Critical.
func TestRollUpLosingStages(t *testing.T) {
	stages := []string{"consideration", "purchase", "onboarding"}
	touchpoints := []Touchpoint{
		{Stage: "consideration", Name: "pricing", Criticality: cxv1alpha1.CriticalityHigh, Health: cxv1alpha1.HealthHealthy},
		{Stage: "purchase", Name: "signup", Criticality: cxv1alpha1.CriticalityCritical, Health: cxv1alpha1.HealthHealthy},
	}
	j := RollUp(stages, touchpoints, map[string]bool{"purchase": true, "onboarding": true})
	got := []cxv1alpha1.Health{j.Stages[0].Health, j.Stages[1].Health, j.Stages[2].Health}
	want := []cxv1alpha1.Health{cxv1alpha1.HealthHealthy, cxv1alpha1.HealthDegraded, cxv1alpha1.HealthDegraded}
	if !slices.Equal(got, want) || j.Health != cxv1alpha1.HealthDegraded || j.WeakestStage != "purchase" {
		t.Errorf("stages %v, journey %s, weakest %q; want %v, Degraded, purchase", got, j.Health, j.WeakestStage, want)
	}
	touchpoints[1].Health = cxv1alpha1.HealthCritical
	if j := RollUp(stages, touchpoints, map[string]bool{"purchase": true}); j.Stages[1].Health != cxv1alpha1.HealthCritical {
		t.Errorf("a Critical stage losing customers is %s, want Critical", j.Stages[1].Health)
	}
}

func ptr32(v int32) *int32 { return &v }

// The query set is fixed: the number of queries does not depend on the
// monitors, and every query keeps to the watched namespaces.
func TestQueriesAreFixedAndScoped(t *testing.T) {
	few, many := queries([]string{"1h", "5m"}, namespaceScope([]string{"shop", " "})), queries([]string{"1h", "28d", "30d", "5m"}, namespaceScope([]string{"shop"}))
	if len(few) != len(many) || len(few) != 6 {
		t.Fatalf("%d and %d queries, want 6 for both", len(few), len(many))
	}
	for _, q := range many {
		if !strings.Contains(q.promql, `namespace=~"shop"`) {
			t.Errorf("unscoped query %s", q.promql)
		}
	}
	if want := `__name__=~"journey:touchpoint_errors:ratio_rate(?:1h|28d|30d|5m)"`; !strings.Contains(many[0].promql, want) {
		t.Errorf("error ratio query %s, want %s", many[0].promql, want)
	}
	if scope := namespaceScope([]string{""}); scope != "" {
		t.Errorf("no namespaces scope %q, want none", scope)
	}
}
