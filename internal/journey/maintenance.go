package journey

import (
	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/schedule"
)

// MaintenanceWindows are the windows that hold for the touchpoint: its
// map's, then its monitor's.
func (b TouchpointBinding) MaintenanceWindows() []schedule.Spec {
	var specs []schedule.Spec
	for _, windows := range [][]cxv1alpha1.TimeWindow{b.Map.Spec.MaintenanceWindows, b.Monitor.Spec.MaintenanceWindows} {
		specs = append(specs, ScheduleSpecs(windows)...)
	}
	return specs
}

// ScheduleSpecs are API time windows as internal/schedule reads them.
func ScheduleSpecs(windows []cxv1alpha1.TimeWindow) []schedule.Spec {
	specs := make([]schedule.Spec, 0, len(windows))
	for _, w := range windows {
		s := schedule.Spec{Name: w.Name, Start: w.Start, Duration: w.Duration, TimeZone: w.TimeZone}
		for _, d := range w.Days {
			s.Days = append(s.Days, string(d))
		}
		specs = append(specs, s)
	}
	return specs
}
