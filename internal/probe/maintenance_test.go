package probe

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeymap/journey-operator/internal/probeconfig"
	"github.com/journeymap/journey-operator/internal/schedule"
)

// TestMaintenancePausesProbe runs two probes of one target, one in an open
// maintenance window: it sends no request while the other runs, and reports
// journey_maintenance 1; outside the window it reports 0.
func TestMaintenancePausesProbe(t *testing.T) {
	e := newTestEngine(t, 4)
	var paused, running atomic.Int32
	count := func(n *atomic.Int32) string {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { n.Add(1) }))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	open := schedule.Spec{Name: "upgrade", Start: time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04"), Duration: "1h", TimeZone: "UTC"}
	inWindow := httpProbeTo("shop/paused", count(&paused))
	inWindow.Maintenance = []schedule.Spec{open}
	if err := e.Apply(&probeconfig.Config{Probes: []probeconfig.Probe{inWindow, httpProbeTo("shop/running", count(&running))}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the probe outside maintenance to run 5 times", func() bool { return running.Load() >= 5 })
	if n := paused.Load(); n != 0 {
		t.Errorf("the probe in maintenance sent %d requests, want none", n)
	}
	fams := scrape(t, e.metricsURL)
	if got := value(fams, "journey_maintenance", map[string]string{"probe": "shop/paused"}); got != 1 {
		t.Errorf("journey_maintenance of the paused probe = %v, want 1", got)
	}
	if got := value(fams, "journey_maintenance", map[string]string{"probe": "shop/running"}); got != -1 {
		t.Errorf("a probe without windows exports journey_maintenance %v, want no series", got)
	}

	p := e.probes["shop/paused"].probe
	if !e.inMaintenance(p, time.Now()) || e.inMaintenance(p, time.Now().Add(2*time.Hour)) {
		t.Error("inMaintenance disagrees with the window: want open now and closed in 2h")
	}
	if got := value(scrape(t, e.metricsURL), "journey_maintenance", map[string]string{"probe": "shop/paused"}); got != 0 {
		t.Errorf("journey_maintenance after the window = %v, want 0", got)
	}
}
