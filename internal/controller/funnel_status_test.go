package controller

import (
	"testing"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/health"
)

func funnelMap() *cxv1alpha1.JourneyMap {
	kpi := func(floor string) *cxv1alpha1.StageKPI {
		return &cxv1alpha1.StageKPI{Category: cxv1alpha1.KPIActivation, Query: "sum(rate(x_total[{{.window}}]))", Floor: floor}
	}
	return &cxv1alpha1.JourneyMap{Spec: cxv1alpha1.JourneyMapSpec{Stages: []cxv1alpha1.Stage{
		{Name: "consideration", DisplayName: "Pricing visit", KPI: kpi("")},
		{Name: "purchase", DisplayName: "Trial sign-up", KPI: kpi("0.2"), Touchpoints: []cxv1alpha1.Touchpoint{{Name: "signup"}}},
		{Name: "onboarding", KPI: kpi("")},
	}}}
}

// TestStageConversions: the poller's funnel reading becomes each stage's
// conversion; a dropped one degrades its stage and says why in the
// stage's words, with the baseline and the floor where they exist.
func TestStageConversions(t *testing.T) {
	m := funnelMap()
	read := []health.StageConversion{
		{Stage: "onboarding", From: "purchase", Now: "47%", Baseline: "50%"},
		{Stage: "purchase", From: "consideration", Now: "31%", Baseline: "48%", Dropped: "21%"},
		// A stage the map no longer has shows nowhere.
		{Stage: "renewal", From: "onboarding", Now: "90%", Dropped: "10%"},
	}
	conversions := stageConversions(m, read)
	if len(conversions) != 2 {
		t.Fatalf("conversions for %d stages, want 2: %+v", len(conversions), conversions)
	}
	want := cxv1alpha1.StageConversion{From: "consideration", Now: "31%", Baseline: "48%", Dropped: true,
		Message: "conversion Pricing visit → Trial sign-up 21%, baseline 48%, floor 20%"}
	if got := conversions["purchase"]; got == nil || *got != want {
		t.Errorf("purchase: %+v, want %+v", got, want)
	}
	if got := conversions["onboarding"]; got == nil || got.Dropped || got.Message != "" || got.Now != "47%" {
		t.Errorf("onboarding: %+v, want 47%% and not dropped", got)
	}

	setHealth(m, nil, conversions)
	if m.Status.Stages[1].Health != cxv1alpha1.HealthDegraded || m.Status.Health != cxv1alpha1.HealthDegraded || m.Status.WeakestStage != "purchase" {
		t.Errorf("stages %+v, map %s, weakest %q; want purchase Degraded on conversion", m.Status.Stages, m.Status.Health, m.Status.WeakestStage)
	}
	if m.Status.Stages[2].Health != cxv1alpha1.HealthUnknown || m.Status.Stages[2].Conversion.Now != "47%" {
		t.Errorf("onboarding %+v, want Unknown with its conversion shown", m.Status.Stages[2])
	}

	// While Prometheus cannot be asked, the status keeps what it shows.
	kept := shownConversions(m)
	if len(kept) != 2 || !kept["purchase"].Dropped {
		t.Errorf("kept %+v, want both conversions, purchase dropped", kept)
	}

	// No baseline yet in the first week: the floor alone is named.
	conversions = stageConversions(m, []health.StageConversion{{Stage: "purchase", From: "consideration", Now: "30%", Dropped: "15%"}})
	if got := conversions["purchase"].Message; got != "conversion Pricing visit → Trial sign-up 15%, floor 20%" {
		t.Errorf("message %q", got)
	}
}
