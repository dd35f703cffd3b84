package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// A monitor's status is written when its SLI numbers move; its map shows
// only the monitor's health and alert count, so only their changes
// requeue the map (and only a map's health or score its persona).
func TestRollUpPredicates(t *testing.T) {
	monitor := &cxv1alpha1.TouchpointMonitor{Status: cxv1alpha1.TouchpointMonitorStatus{
		Health: cxv1alpha1.HealthHealthy, SLI: &cxv1alpha1.SLIStatus{Availability: "99.90"},
	}}
	monitor.Generation = 1
	for name, tc := range map[string]struct {
		change func(*cxv1alpha1.TouchpointMonitor)
		want   bool
	}{
		"SLI numbers only": {func(m *cxv1alpha1.TouchpointMonitor) { m.Status.SLI.Availability = "99.89" }, false},
		"a condition only": {func(m *cxv1alpha1.TouchpointMonitor) {
			m.Status.Conditions = []metav1.Condition{{Type: "TelemetryBound"}}
		}, false},
		"health": {func(m *cxv1alpha1.TouchpointMonitor) { m.Status.Health = cxv1alpha1.HealthDegraded }, true},
		"an alert fires": {func(m *cxv1alpha1.TouchpointMonitor) {
			m.Status.FiringAlerts = []cxv1alpha1.FiringAlert{{Name: "JourneyTouchpointErrorBudgetBurn"}}
		}, true},
		"spec": {func(m *cxv1alpha1.TouchpointMonitor) { m.Generation = 2 }, true},
	} {
		n := monitor.DeepCopy()
		tc.change(n)
		if got := monitorRollUpChanged.Update(event.UpdateEvent{ObjectOld: monitor, ObjectNew: n}); got != tc.want {
			t.Errorf("monitor update, %s: requeues the map %v, want %v", name, got, tc.want)
		}
	}

	score, other := int32(80), int32(60)
	journeyMap := &cxv1alpha1.JourneyMap{Status: cxv1alpha1.JourneyMapStatus{Health: cxv1alpha1.HealthHealthy, Score: &score, SuccessRatio: "0.9900"}}
	for name, tc := range map[string]struct {
		change func(*cxv1alpha1.JourneyMap)
		want   bool
	}{
		"success ratio only": {func(m *cxv1alpha1.JourneyMap) { m.Status.SuccessRatio = "0.9800" }, false},
		"score":              {func(m *cxv1alpha1.JourneyMap) { m.Status.Score = &other }, true},
		"health":             {func(m *cxv1alpha1.JourneyMap) { m.Status.Health = cxv1alpha1.HealthCritical }, true},
	} {
		n := journeyMap.DeepCopy()
		tc.change(n)
		if got := mapRollUpChanged.Update(event.UpdateEvent{ObjectOld: journeyMap, ObjectNew: n}); got != tc.want {
			t.Errorf("map update, %s: requeues the persona %v, want %v", name, got, tc.want)
		}
	}
}
