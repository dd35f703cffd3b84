package journey

import (
	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/schedule"
)

// MaintenanceSpecs are the windows declared for the touchpoint: its
// map's, then its monitor's.
func (b TouchpointBinding) MaintenanceSpecs() []schedule.Spec {
	var specs []schedule.Spec
	for _, windows := range [][]cxv1alpha1.TimeWindow{b.Map.Spec.MaintenanceWindows, b.Monitor.Spec.MaintenanceWindows} {
		specs = append(specs, ScheduleSpecs(windows)...)
	}
	return specs
}

// MaintenanceWindows are the windows the collector and the rules apply:
// MaintenanceSpecs, or none when one of them cannot be read (a time zone
// the database does not know). The probe then runs as if there were no
// window, rather than the collector refusing its whole file, and the
// monitor's InMaintenance condition says why.
func (b TouchpointBinding) MaintenanceWindows() []schedule.Spec {
	specs := b.MaintenanceSpecs()
	for _, s := range specs {
		if _, err := schedule.Compile(s); err != nil {
			return nil
		}
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
