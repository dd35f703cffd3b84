package controller

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/schedule"
)

// TestMaintenanceCondition covers InMaintenance for every state the
// windows can be in, with the bad input the apiserver cannot judge: an
// unknown time zone, overlapping windows (a map's and a monitor's), a map
// window longer than the monitor's objective window. The message carries
// a fixed time, so the condition does not change while a window stays
// open: status is written once per window.
func TestMaintenanceCondition(t *testing.T) {
	now := time.Date(2026, 12, 6, 2, 30, 0, 0, time.UTC)
	nightly := schedule.Spec{Name: "nightly", Start: "03:00", Duration: "2h", TimeZone: "Europe/Berlin"}
	cases := []struct {
		name      string
		specs     []schedule.Spec
		objective time.Duration
		status    metav1.ConditionStatus
		reason    string
		message   string
		recheck   time.Duration
	}{
		{"open", []schedule.Spec{nightly}, time.Hour * 24, metav1.ConditionTrue, cxv1alpha1.WindowOpenReason,
			"maintenance window nightly is open until 2026-12-06T05:00:00+01:00", time.Hour + 30*time.Minute + time.Second},
		{"closed, next tomorrow", []schedule.Spec{{Name: "early", Start: "01:00", Duration: "1h", TimeZone: "UTC"}}, 24 * time.Hour, metav1.ConditionFalse, cxv1alpha1.NoWindowOpenReason,
			"next maintenance window early opens at 2026-12-07T01:00:00Z", 22*time.Hour + 30*time.Minute + time.Second},
		{"a one-off in the past", []schedule.Spec{{Name: "migration", Start: "2026-01-01T00:00", Duration: "1h", TimeZone: "UTC"}}, 24 * time.Hour, metav1.ConditionFalse, cxv1alpha1.NoWindowOpenReason,
			"no maintenance window will open again", 0},
		{"unknown time zone", []schedule.Spec{{Name: "nightly", Start: "03:00", Duration: "2h", TimeZone: "Europe/Atlantis"}}, 24 * time.Hour, metav1.ConditionFalse, cxv1alpha1.InvalidMaintenanceWindowReason,
			`window nightly: unknown time zone "Europe/Atlantis"`, 0},
		{"overlapping map and monitor windows", []schedule.Spec{nightly, {Name: "backup", Start: "03:30", Duration: "30m", TimeZone: "UTC"}}, 24 * time.Hour, metav1.ConditionFalse, cxv1alpha1.InvalidMaintenanceWindowReason,
			"windows nightly and backup overlap", 0},
		{"longer than the objective window", []schedule.Spec{nightly}, time.Hour, metav1.ConditionFalse, cxv1alpha1.InvalidMaintenanceWindowReason,
			"window nightly lasts 2h, longer than the objective window of 1h0m0s", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := observeMaintenance(tc.specs, tc.objective, now)
			var conditions []metav1.Condition
			setMaintenanceCondition(&conditions, 1, len(tc.specs), m)
			c := meta.FindStatusCondition(conditions, cxv1alpha1.InMaintenanceCondition)
			if c == nil || c.Status != tc.status || c.Reason != tc.reason || !strings.Contains(c.Message, tc.message) {
				t.Fatalf("condition %+v, want %s/%s saying %q", c, tc.status, tc.reason, tc.message)
			}
			if got := m.recheck(now); got != tc.recheck {
				t.Errorf("recheck after %s, want %s", got, tc.recheck)
			}
			// Later inside the same window, or before the next: the same
			// condition, so no status write.
			later := observeMaintenance(tc.specs, tc.objective, now.Add(20*time.Minute))
			again := append([]metav1.Condition(nil), conditions...)
			setMaintenanceCondition(&again, 1, len(tc.specs), later)
			if a := meta.FindStatusCondition(again, cxv1alpha1.InMaintenanceCondition); a.Message != c.Message {
				t.Errorf("the condition ticks: %q, 20 minutes later %q", c.Message, a.Message)
			}
		})
	}

	var conditions []metav1.Condition
	setMaintenanceCondition(&conditions, 1, 1, observeMaintenance([]schedule.Spec{nightly}, 24*time.Hour, now))
	setMaintenanceCondition(&conditions, 2, 0, maintenance{})
	if len(conditions) != 0 {
		t.Errorf("windows removed, the condition stays: %+v", conditions)
	}
}
