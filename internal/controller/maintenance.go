package controller

import (
	"context"
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/schedule"
)

// maintenance is what a touchpoint's maintenance windows say at a moment.
type maintenance struct {
	// invalid says why the windows cannot be used; the collector would
	// refuse them too.
	invalid error
	// open names the open window, which ends at end.
	open string
	end  time.Time
	// next names the window that opens next, at start; empty when none
	// will.
	next  string
	start time.Time
}

// observeMaintenance reads the windows that hold for a touchpoint (its
// map's and its monitor's) at now: whether they can be used — time zones
// the database knows, no two overlapping, none longer than the objective
// window, which the apiserver checks only for the monitor's own — and
// which is open or opens next.
func observeMaintenance(specs []schedule.Spec, objective time.Duration, now time.Time) maintenance {
	windows := make([]schedule.Window, 0, len(specs))
	for _, spec := range specs {
		w, err := schedule.Compile(spec)
		if err != nil {
			return maintenance{invalid: err}
		}
		if w.Duration() > objective {
			return maintenance{invalid: fmt.Errorf("window %s lasts %s, longer than the objective window of %s: the whole budget period would be excluded", spec.Name, spec.Duration, objective)}
		}
		windows = append(windows, w)
	}
	if a, b, found := schedule.Overlap(windows, now); found {
		if a == b {
			return maintenance{invalid: fmt.Errorf("window %s runs into its own next opening", a)}
		}
		return maintenance{invalid: fmt.Errorf("windows %s and %s overlap; merge them or move one", a, b)}
	}
	var m maintenance
	for _, w := range windows {
		if end, ok := w.Active(now); ok {
			m.open, m.end = w.Name(), end
		}
		if start, _, ok := w.Next(now); ok && (m.next == "" || start.Before(m.start)) {
			m.next, m.start = w.Name(), start
		}
	}
	return m
}

// recheck is when the state changes next: the open window ends or the
// next one opens. Zero when nothing will change.
func (m maintenance) recheck(now time.Time) time.Duration {
	var at time.Time
	switch {
	case m.open != "":
		at = m.end
	case m.next != "":
		at = m.start
	default:
		return 0
	}
	// A second late, so that the reconcile sees the new state.
	return at.Sub(now) + time.Second
}

// setMaintenanceCondition writes InMaintenance. Its message holds the end
// of the open window (or the start of the next), a fixed time: it changes
// once per window, never as a countdown. Without windows there is no
// condition.
func setMaintenanceCondition(conditions *[]metav1.Condition, generation int64, windows int, m maintenance) {
	const layout = "2006-01-02T15:04:05Z07:00"
	switch {
	case windows == 0:
		meta.RemoveStatusCondition(conditions, cxv1alpha1.InMaintenanceCondition)
	case m.invalid != nil:
		setCondition(conditions, generation, cxv1alpha1.InMaintenanceCondition, metav1.ConditionFalse, cxv1alpha1.InvalidMaintenanceWindowReason,
			m.invalid.Error()+"; the windows are not applied")
	case m.open != "":
		setCondition(conditions, generation, cxv1alpha1.InMaintenanceCondition, metav1.ConditionTrue, cxv1alpha1.WindowOpenReason,
			fmt.Sprintf("maintenance window %s is open until %s: the probe is paused, alerts are held back", m.open, m.end.Format(layout)))
	case m.next != "":
		setCondition(conditions, generation, cxv1alpha1.InMaintenanceCondition, metav1.ConditionFalse, cxv1alpha1.NoWindowOpenReason,
			fmt.Sprintf("next maintenance window %s opens at %s", m.next, m.start.Format(layout)))
	default:
		setCondition(conditions, generation, cxv1alpha1.InMaintenanceCondition, metav1.ConditionFalse, cxv1alpha1.NoWindowOpenReason,
			"no maintenance window will open again")
	}
}

// observeMaintenance is the monitor's step: InMaintenance, and a reconcile
// when it changes.
func (r *TouchpointMonitorReconciler) observeMaintenance(_ context.Context, s *monitorScope) (bool, error) {
	specs := s.binding.MaintenanceSpecs()
	objective, err := schedule.ParseDuration(journey.ObjectiveWindow(s.monitor))
	if err != nil {
		// The objective window's own check reports it.
		return true, nil
	}
	now := time.Now()
	m := observeMaintenance(specs, objective, now)
	setMaintenanceCondition(&s.monitor.Status.Conditions, s.monitor.Generation, len(specs), m)
	if d := m.recheck(now); d > 0 {
		s.requeueAfter = sooner(s.requeueAfter, d)
	}
	return true, nil
}

// observeMapMaintenance is the map's step: InMaintenance for the map's own
// windows, judged against the shortest objective window of its monitors
// (each monitor reports its own view, the map's windows included).
func (r *JourneyMapReconciler) observeMapMaintenance(_ context.Context, s *mapScope) error {
	specs := journey.ScheduleSpecs(s.journey.Spec.MaintenanceWindows)
	objective := time.Duration(math.MaxInt64)
	for _, b := range s.bindings {
		if d, err := schedule.ParseDuration(journey.ObjectiveWindow(b.Monitor)); err == nil {
			objective = min(objective, d)
		}
	}
	now := time.Now()
	m := observeMaintenance(specs, objective, now)
	setMaintenanceCondition(&s.journey.Status.Conditions, s.journey.Generation, len(specs), m)
	s.recheckAfter(m.recheck(now))
	return nil
}
