package render_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestPersonaExpectationsReachRules checks that a monitor without objectives
// of its own is judged by its persona's expectations in every rule: the
// burn-rate thresholds, the latency alert and the stage roll-up agree.
func TestPersonaExpectationsReachRules(t *testing.T) {
	maps, monitors := samples(t)
	var monitor *cxv1alpha1.TouchpointMonitor
	for _, m := range monitors {
		if m.Name == "pricing-page" {
			monitor = m.DeepCopy()
		}
	}
	monitor.Spec.Objectives.Availability = ""
	monitor.Spec.Objectives.Latency = nil
	persona := &cxv1alpha1.Persona{
		ObjectMeta: metav1.ObjectMeta{Name: "startup-cmo", Namespace: "shop"},
		Spec: cxv1alpha1.PersonaSpec{Expectations: &cxv1alpha1.ExperienceExpectations{
			AvailabilityPercent: "99",
			MaxLatency:          &metav1.Duration{Duration: 2 * time.Second},
		}},
	}
	b := bind(t, maps, monitor)
	b.Persona = persona

	rules, err := render.MonitorRules(b)
	if err != nil {
		t.Fatal(err)
	}
	file, err := render.RuleFile(rules.Groups)
	if err != nil {
		t.Fatal(err)
	}
	// 14.4 × a 1% budget, and the persona's 2s at the default 95th percentile.
	for _, want := range []string{"> 0.144", "quantile: \"0.95\"", "> 2\n", "above the 2s objective"} {
		if !strings.Contains(string(file), want) {
			t.Errorf("the rules lack %q:\n%s", want, file)
		}
	}

	rollup, err := render.JourneyRules(b.Map, b.Persona, []journey.TouchpointBinding{b})
	if err != nil {
		t.Fatal(err)
	}
	rollupFile, err := render.RuleFile(rollup.Groups)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rollupFile), "< 0.99\n") {
		t.Errorf("the stage objective is not the persona's 99%%:\n%s", rollupFile)
	}

	b.Persona = nil
	if _, err := render.MonitorRules(b); err == nil || !strings.Contains(err.Error(), "spec.expectations.availabilityPercent") {
		t.Errorf("without any availability objective: error %v, want one naming both fields", err)
	}
	if _, err := render.JourneyRules(b.Map, b.Persona, []journey.TouchpointBinding{b}); err == nil {
		t.Error("the roll-up accepted a monitor without any availability objective")
	}
}
