package controller

import (
	"fmt"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/journey"
)

func TestSummarizeReady(t *testing.T) {
	cond := func(t, s, reason string) metav1.Condition {
		return metav1.Condition{Type: t, Status: metav1.ConditionStatus(s), Reason: reason, Message: reason + " message"}
	}
	cases := []struct {
		name       string
		conditions []metav1.Condition
		status     metav1.ConditionStatus
		reason     string
	}{
		{"nothing known yet", nil, metav1.ConditionFalse, cxv1alpha1.ProgressingReason},
		{"all true", []metav1.Condition{cond("A", "True", "Succeeded"), cond("B", "True", "Succeeded")}, metav1.ConditionTrue, cxv1alpha1.SucceededReason},
		{"first false wins", []metav1.Condition{cond("A", "False", "First"), cond("B", "False", "Second")}, metav1.ConditionFalse, "First"},
		{"one missing", []metav1.Condition{cond("A", "True", "Succeeded")}, metav1.ConditionFalse, cxv1alpha1.ProgressingReason},
		{"stalled wins", []metav1.Condition{cond("A", "True", "Succeeded"), cond("B", "True", "Succeeded"), cond(cxv1alpha1.StalledCondition, "True", cxv1alpha1.InvalidSpecReason)}, metav1.ConditionFalse, cxv1alpha1.InvalidSpecReason},
	}
	for _, tc := range cases {
		conditions := append([]metav1.Condition(nil), tc.conditions...)
		summarizeReady(&conditions, 3, "A", "B")
		var ready *metav1.Condition
		for i := range conditions {
			if conditions[i].Type == cxv1alpha1.ReadyCondition {
				ready = &conditions[i]
			}
		}
		if ready == nil || ready.Status != tc.status || ready.Reason != tc.reason || ready.ObservedGeneration != 3 {
			t.Errorf("%s: Ready = %+v, want %s/%s", tc.name, ready, tc.status, tc.reason)
		}
	}

	// Summarizing twice changes nothing: no transition time ticks.
	conditions := []metav1.Condition{cond("A", "True", "Succeeded"), cond("B", "True", "Succeeded")}
	summarizeReady(&conditions, 1, "A", "B")
	first := conditions[len(conditions)-1].LastTransitionTime
	summarizeReady(&conditions, 1, "A", "B")
	if conditions[len(conditions)-1].LastTransitionTime != first {
		t.Error("an unchanged Ready condition got a new transition time")
	}
}

func TestSetCoverage(t *testing.T) {
	m := &cxv1alpha1.JourneyMap{Spec: cxv1alpha1.JourneyMapSpec{Stages: []cxv1alpha1.Stage{
		{Name: "consideration", Touchpoints: []cxv1alpha1.Touchpoint{{Name: "pricing", MomentOfTruth: true}, {Name: "chat"}}},
		{Name: "purchase", Touchpoints: []cxv1alpha1.Touchpoint{{Name: "checkout", MomentOfTruth: true}, {Name: "signup", MomentOfTruth: true}}},
	}}}
	bindings := []journey.TouchpointBinding{
		{Touchpoint: &m.Spec.Stages[0].Touchpoints[0]},
		{Touchpoint: &m.Spec.Stages[1].Touchpoints[1]},
	}
	setCoverage(m, bindings)
	c := m.Status.Coverage
	if c.Summary != "2/4" || c.MonitoredTouchpoints != 2 || c.TotalTouchpoints != 4 {
		t.Errorf("coverage %+v, want 2/4", c)
	}
	if len(c.UnmonitoredMomentsOfTruth) != 1 || c.UnmonitoredMomentsOfTruth[0] != "checkout" {
		t.Errorf("unmonitored moments of truth %v, want [checkout]", c.UnmonitoredMomentsOfTruth)
	}
	if len(c.UnobservedStages) != 0 {
		t.Errorf("unobserved stages %v, want none", c.UnobservedStages)
	}

	// A stage in person, nothing monitored: unobserved, unless its KPI
	// measures who gets there.
	m.Spec.Stages = append(m.Spec.Stages,
		cxv1alpha1.Stage{Name: "meal", Touchpoints: []cxv1alpha1.Touchpoint{{Name: "waiter", Channel: cxv1alpha1.ChannelInPerson}}},
		cxv1alpha1.Stage{Name: "word-of-mouth", Touchpoints: []cxv1alpha1.Touchpoint{{Name: "friends", Channel: cxv1alpha1.ChannelWordOfMouth}}},
		cxv1alpha1.Stage{Name: "return-visit", KPI: &cxv1alpha1.StageKPI{Category: cxv1alpha1.KPIRetention, Query: "sum(rate(visits_total[{{.window}}]))"}},
	)
	setCoverage(m, bindings)
	if got := m.Status.Coverage.UnobservedStages; !slices.Equal(got, []string{"meal", "word-of-mouth"}) {
		t.Errorf("unobserved stages %v, want [meal word-of-mouth]", got)
	}
}

// Status lists stay within the schema's bounds, whatever is observed.
func TestStatusListsStayWithinTheirBounds(t *testing.T) {
	persona := &cxv1alpha1.Persona{}
	maps := make([]cxv1alpha1.JourneyMap, maxListedJourneyMaps+5)
	for i := range maps {
		maps[i].Name = fmt.Sprintf("journey-%04d", i)
	}
	setJourneys(persona, maps)
	if len(persona.Status.JourneyMaps) != maxListedJourneyMaps || persona.Status.JourneyMapCount != int32(len(maps)) {
		t.Fatalf("%d maps listed, count %d; want %d listed and all counted", len(persona.Status.JourneyMaps), persona.Status.JourneyMapCount, maxListedJourneyMaps)
	}

	monitor := &cxv1alpha1.TouchpointMonitor{}
	alerts := make([]health.Alert, maxFiringAlerts+3)
	for i := range alerts {
		alerts[i] = health.Alert{Name: fmt.Sprintf("Alert%03d", i), Severity: "warning"}
	}
	setVerdict(monitor, health.Verdict{HasData: true, Health: cxv1alpha1.HealthDegraded}, alerts)
	if len(monitor.Status.FiringAlerts) != maxFiringAlerts {
		t.Fatalf("%d firing alerts in status, want the bound %d", len(monitor.Status.FiringAlerts), maxFiringAlerts)
	}
}
