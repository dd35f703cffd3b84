package journey_test

import (
	"math"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
)

func TestWindowsFor(t *testing.T) {
	cases := []struct {
		objective, recorded, tiers, interval string
		// long are the windows of a day or more, evaluated every
		// longInterval.
		long, longInterval string
	}{
		// The SRE workbook's own set.
		{"30d", "5m 30m 1h 2h 6h 1d 3d 30d", "page 1h/5m for 2m, page 6h/30m for 2m, ticket 1d/2h for 15m, ticket 3d/6h for 15m", "30s", "1d 3d 30d", "2m"},
		// 22h24m, the scaled 1d, is under a day and stays in the fast group.
		{"28d", "5m 28m 56m 1h 1h52m 5h36m 22h24m 2d19h12m 28d", "page 56m/5m for 2m, page 5h36m/28m for 2m, ticket 22h24m/1h52m for 14m, ticket 2d19h12m/5h36m for 14m", "30s", "2d19h12m 28d", "2m"},
		// Fast windows of a minute beside a long objective window.
		{"2d", "1m 2m 4m 5m 8m 24m 1h 1h36m 4h48m 2d", "page 4m/1m, page 24m/2m, ticket 1h36m/8m for 1m, ticket 4h48m/24m for 1m", "15s", "2d", "2m"},
		// A test's one-hour objective: windows of minutes, no waiting.
		{"1h", "1m 2m 5m 6m 1h", "page 1m/1m, page 1m/1m, ticket 2m/1m, ticket 6m/1m", "15s", "", ""},
	}
	for _, tc := range cases {
		w, err := journey.WindowsFor(tc.objective)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(w.Recorded, " "); got != tc.recorded {
			t.Errorf("%s: recorded %q, want %q", tc.objective, got, tc.recorded)
		}
		var tiers []string
		for _, tier := range w.Tiers {
			s := "ticket "
			if tier.Page {
				s = "page "
			}
			s += tier.Long + "/" + tier.Short
			if tier.For != "" {
				s += " for " + tier.For
			}
			tiers = append(tiers, s)
		}
		if got := strings.Join(tiers, ", "); got != tc.tiers {
			t.Errorf("%s: tiers %q, want %q", tc.objective, got, tc.tiers)
		}
		if w.Interval != tc.interval {
			t.Errorf("%s: interval %s, want %s", tc.objective, w.Interval, tc.interval)
		}
		if got := strings.Join(w.Long, " "); got != tc.long || w.LongInterval != tc.longInterval {
			t.Errorf("%s: long windows %q every %q, want %q every %q", tc.objective, got, w.LongInterval, tc.long, tc.longInterval)
		}
	}
	if _, err := journey.WindowsFor("soon"); err == nil {
		t.Error("a malformed window was accepted")
	}
}

func TestEffectiveObjectives(t *testing.T) {
	persona := func(availability string, maxLatency time.Duration) *cxv1alpha1.Persona {
		p := &cxv1alpha1.Persona{ObjectMeta: metav1.ObjectMeta{Name: "startup-cmo"}, Spec: cxv1alpha1.PersonaSpec{Expectations: &cxv1alpha1.ExperienceExpectations{AvailabilityPercent: availability}}}
		if maxLatency > 0 {
			p.Spec.Expectations.MaxLatency = &metav1.Duration{Duration: maxLatency}
		}
		return p
	}
	ownLatency := &cxv1alpha1.LatencyObjective{Threshold: metav1.Duration{Duration: 800 * time.Millisecond}, Percent: "99"}
	cases := []struct {
		name         string
		availability string
		latency      *cxv1alpha1.LatencyObjective
		probe        bool
		persona      *cxv1alpha1.Persona
		// budget is the wanted error budget, or err a part of the wanted error.
		budget float64
		err    string
		// wantLatency is "threshold@percent", or "" for no latency objective.
		wantLatency string
	}{
		{name: "own objectives win", availability: "99.5", latency: ownLatency, probe: true, persona: persona("90", time.Second), budget: 0.005, wantLatency: "800ms@99"},
		{name: "persona fills in", probe: true, persona: persona("99", 2*time.Second), budget: 0.01, wantLatency: "2s@95"},
		{name: "own availability, persona latency", availability: "99.9", probe: true, persona: persona("", 3*time.Second), budget: 0.001, wantLatency: "3s@95"},
		{name: "own latency percent defaulted", availability: "99", latency: &cxv1alpha1.LatencyObjective{Threshold: metav1.Duration{Duration: time.Second}}, probe: true, budget: 0.01, wantLatency: "1s@95"},
		{name: "metric monitors have no latency", availability: "99", persona: persona("", time.Second), budget: 0.01},
		{name: "persona without expectations", probe: true, persona: &cxv1alpha1.Persona{ObjectMeta: metav1.ObjectMeta{Name: "startup-cmo"}}, err: "set spec.objectives.availability, or spec.expectations.availabilityPercent of persona startup-cmo"},
		{name: "persona unknown", probe: true, err: "set spec.objectives.availability, or spec.expectations.availabilityPercent of persona startup-cmo"},
		{name: "own availability malformed", availability: "100", persona: persona("99", 0), err: `spec.objectives.availability "100" is not a percentage`},
		{name: "persona availability malformed", persona: persona("0", 0), err: `persona startup-cmo: spec.expectations.availabilityPercent "0" is not a percentage`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			monitor := &cxv1alpha1.TouchpointMonitor{ObjectMeta: metav1.ObjectMeta{Name: "pricing-page"}}
			monitor.Spec.Objectives = cxv1alpha1.Objectives{Availability: tc.availability, Latency: tc.latency}
			if tc.probe {
				monitor.Spec.Probe = &cxv1alpha1.ProbeSpec{}
			}
			journeyMap := &cxv1alpha1.JourneyMap{Spec: cxv1alpha1.JourneyMapSpec{PersonaRef: cxv1alpha1.LocalObjectReference{Name: "startup-cmo"}}}
			b := journey.TouchpointBinding{Monitor: monitor, Map: journeyMap, Persona: tc.persona}

			budget, err := b.ErrorBudget()
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one containing %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.err == "" && math.Abs(budget-tc.budget) > 1e-12:
				t.Errorf("error budget %g, want %g", budget, tc.budget)
			}
			got := ""
			if l := b.Latency(); l != nil {
				got = l.Threshold.Duration.String() + "@" + l.Percent
			}
			if got != tc.wantLatency {
				t.Errorf("latency objective %q, want %q", got, tc.wantLatency)
			}
		})
	}
}
