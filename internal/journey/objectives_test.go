package journey_test

import (
	"strings"
	"testing"

	"github.com/journeymap/journey-operator/internal/journey"
)

func TestWindowsFor(t *testing.T) {
	cases := []struct {
		objective, recorded, tiers, interval string
	}{
		// The SRE workbook's own set.
		{"30d", "5m 30m 1h 2h 6h 1d 3d 30d", "page 1h/5m for 2m, page 6h/30m for 2m, ticket 1d/2h for 15m, ticket 3d/6h for 15m", "30s"},
		{"28d", "5m 28m 56m 1h 1h52m 5h36m 22h24m 2d19h12m 28d", "page 56m/5m for 2m, page 5h36m/28m for 2m, ticket 22h24m/1h52m for 14m, ticket 2d19h12m/5h36m for 14m", "30s"},
		// A test's one-hour objective: windows of minutes, no waiting.
		{"1h", "1m 2m 5m 6m 1h", "page 1m/1m, page 1m/1m, ticket 2m/1m, ticket 6m/1m", "15s"},
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
	}
	if _, err := journey.WindowsFor("soon"); err == nil {
		t.Error("a malformed window was accepted")
	}
}
