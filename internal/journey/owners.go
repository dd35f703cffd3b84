package journey

import (
	"sort"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// MonitorOwners decides, per touchpoint, which of the monitors of one map
// is in charge when several name it: the oldest, then the first by name.
// The others are told so instead of fighting over one set of alerts.
// Monitors being deleted are in charge of nothing. The result maps a
// touchpoint to the name of its monitor.
func MonitorOwners(monitors []*cxv1alpha1.TouchpointMonitor) map[string]string {
	sorted := append([]*cxv1alpha1.TouchpointMonitor(nil), monitors...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].CreationTimestamp, sorted[j].CreationTimestamp
		if !a.Equal(&b) {
			return a.Before(&b)
		}
		return sorted[i].Name < sorted[j].Name
	})
	owners := map[string]string{}
	for _, m := range sorted {
		if _, taken := owners[m.Spec.Touchpoint]; !taken && m.DeletionTimestamp.IsZero() {
			owners[m.Spec.Touchpoint] = m.Name
		}
	}
	return owners
}
