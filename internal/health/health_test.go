package health

import (
	"testing"
	"time"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

func ptr(v float64) *float64 { return &v }

func TestJudge(t *testing.T) {
	objective := Objective{Budget: 0.005, PageSeverity: "critical", LatencyThreshold: 800 * time.Millisecond}
	healthy := Observation{ErrorsShort: ptr(0), ErrorsLastHour: ptr(0.001), ErrorsObjective: ptr(0.002), ProbeSuccess: ptr(1), LatencySeconds: ptr(0.2)}
	with := func(change func(*Observation)) Observation {
		o := healthy
		change(&o)
		return o
	}
	cases := []struct {
		name string
		obs  Observation
		want cxv1alpha1.Health
	}{
		{"no series", Observation{}, cxv1alpha1.HealthUnknown},
		{"meeting objectives", healthy, cxv1alpha1.HealthHealthy},
		{"page alert", with(func(o *Observation) {
			o.Alerts = []Alert{{Name: "JourneyTouchpointErrorBudgetBurn", Severity: "critical"}}
		}), cxv1alpha1.HealthCritical},
		{"ticket alert", with(func(o *Observation) {
			o.Alerts = []Alert{{Name: "JourneyTouchpointErrorBudgetBurn", Severity: "warning"}}
		}), cxv1alpha1.HealthDegraded},
		{"budget overspent but working now", with(func(o *Observation) { o.ErrorsObjective = ptr(0.006) }), cxv1alpha1.HealthDegraded},
		{"probe failing now", with(func(o *Observation) { o.ProbeSuccess = ptr(0) }), cxv1alpha1.HealthCritical},
		{"last hour below objective", with(func(o *Observation) { o.ErrorsLastHour = ptr(0.02) }), cxv1alpha1.HealthDegraded},
		{"slow", with(func(o *Observation) { o.LatencySeconds = ptr(1.2) }), cxv1alpha1.HealthDegraded},
	}
	for _, tc := range cases {
		if got := Judge(tc.obs, objective).Health; got != tc.want {
			t.Errorf("%s: health %s, want %s", tc.name, got, tc.want)
		}
	}

	v := Judge(healthy, objective)
	want := cxv1alpha1.SLIStatus{Availability: "99.80", AvailabilityLastHour: "99.90", Latency: "200ms", ErrorBudgetRemaining: "60.0", BurnRate: "0.20"}
	if v.SLI != want {
		t.Errorf("SLI %+v, want %+v", v.SLI, want)
	}
	if got := Judge(with(func(o *Observation) { o.ErrorsObjective = ptr(0.00001) }), objective).SLI.Availability; got != "99.99" {
		t.Errorf("a failure must never print as 100.00, got %s", got)
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
	j := RollUp(stages, touchpoints)
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

	empty := RollUp(stages, nil)
	if empty.Health != cxv1alpha1.HealthUnknown || empty.Score != nil || empty.WeakestStage != "" {
		t.Errorf("a map without data: %+v", empty)
	}

	p := RollUpPersona([]Journey{j, {Health: cxv1alpha1.HealthHealthy, Score: ptr32(100)}, empty})
	if p.Health != cxv1alpha1.HealthCritical || p.Score == nil || *p.Score != 79 {
		t.Errorf("persona %+v (score %v)", p, p.Score)
	}
}

func ptr32(v int32) *int32 { return &v }
