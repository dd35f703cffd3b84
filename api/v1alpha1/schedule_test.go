package v1alpha1_test

import (
	"context"
	"testing"

	"github.com/journeymap/journey-operator/internal/test/manifests"
)

// TestWindowsAndRoutingAreAccepted is the other side of the invalid cases of
// maintenance windows and alert routing: every form a window can take, and
// a routed map, pass the apiserver.
func TestWindowsAndRoutingAreAccepted(t *testing.T) {
	ctx := context.Background()
	ns := createNamespace(t, "windows")
	journeyMap := parse(t, manifests.ValidMap)
	journeyMap.SetNamespace(ns)
	manifests.Set([]any{
		map[string]any{"name": "nightly", "start": "02:00", "duration": "90m", "timeZone": "Europe/Berlin"},
		map[string]any{"name": "weekend", "start": "20:00", "duration": "2d", "days": []any{"Friday"}, "timeZone": "America/New_York"},
		map[string]any{"name": "migration", "start": "2026-12-24T22:00", "duration": "6h", "timeZone": "UTC"},
	}, "spec", "maintenanceWindows")(journeyMap.Object)
	manifests.Set(map[string]any{
		"receiversFrom": map[string]any{"name": "team-receivers"},
		"receivers":     []any{map[string]any{"team": "payments", "receiver": "payments-pager"}},
	}, "spec", "alerting")(journeyMap.Object)
	if err := env.Client.Create(ctx, journeyMap); err != nil {
		t.Fatalf("a map with valid windows and routing was rejected: %v", err)
	}

	monitor := parse(t, manifests.ValidMonitor)
	monitor.SetNamespace(ns)
	manifests.Set("1d", "spec", "objectives", "window")(monitor.Object)
	manifests.Set([]any{map[string]any{"name": "upgrade", "start": "2026-12-24T22:00", "duration": "24h", "timeZone": "UTC"}}, "spec", "maintenanceWindows")(monitor.Object)
	if err := env.Client.Create(ctx, monitor); err != nil {
		t.Fatalf("a monitor window as long as its objective window was rejected: %v", err)
	}
}
