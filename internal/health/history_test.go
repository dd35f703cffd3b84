package health

import (
	"fmt"
	"testing"
	"time"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

// TestHistoryAgainstPrometheus records a healthy stretch and a failing one
// in a real Prometheus and reads them back: each step is judged as the
// poller would have judged it then, and the whole history of any number of
// touchpoints costs the poller's fixed set of queries, as range queries.
func TestHistoryAgainstPrometheus(t *testing.T) {
	const touchpoints = 8
	e := newExporter(t)
	for i := range touchpoints {
		e.touchpoint(tpName(i), watchOf(i).ObjectiveWindow)
	}
	prom := startPrometheus(t, freeAddress(t), e.server.URL)
	p := newTestPoller(t, prom.url(), time.Second)
	watch := watchOf(0)
	testenv.Eventually(t, 30*time.Second, func() error {
		if err := p.Poll(t.Context()); err != nil {
			return err
		}
		if got := p.Latest(monitorKey(0), watch).Verdict.Health; got != cxv1alpha1.HealthHealthy {
			return fmt.Errorf("touchpoint %s before the break: %s", tpName(0), got)
		}
		return nil
	})
	start := time.Now().Truncate(time.Second)
	time.Sleep(4 * time.Second)
	e.set(fmt.Sprintf(`journey_probe_success{namespace="shop", journey="trial", touchpoint=%q, probe=%q}`, tpName(0), tpName(0)), 0)
	broke := time.Now()
	time.Sleep(4 * time.Second)
	end := time.Now().Truncate(time.Second)

	windows := []string{"28d", "30d"}
	h, err := ReadHistory(t.Context(), ClientOptions{URL: prom.url()}, "shop", windows, start, end, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := prom.requests(t, "/api/v1/query_range"); got != len(queries(windows, "")) {
		t.Errorf("%d range queries for %d touchpoints, want the poller's fixed set of %d", got, touchpoints, len(queries(windows, "")))
	}
	var healthy, critical int
	for i, at := range h.Steps {
		got := h.Verdict(i, watchOf(0)).Health
		switch {
		case at.Before(broke.Add(-2*time.Second)) && got == cxv1alpha1.HealthCritical:
			t.Errorf("step %s, before the break: %s", at.Format(time.TimeOnly), got)
		case got == cxv1alpha1.HealthHealthy:
			healthy++
		case got == cxv1alpha1.HealthCritical:
			critical++
		}
		if other := h.Verdict(i, watchOf(1)).Health; other == cxv1alpha1.HealthCritical {
			t.Errorf("step %s: an untouched touchpoint is %s", at.Format(time.TimeOnly), other)
		}
	}
	if healthy == 0 || critical == 0 {
		t.Errorf("over %d steps: %d healthy and %d critical; want both the healthy stretch and the break", len(h.Steps), healthy, critical)
	}
}

func TestHistoryBadRange(t *testing.T) {
	now := time.Now()
	if _, err := ReadHistory(t.Context(), ClientOptions{URL: "http://127.0.0.1:1"}, "shop", nil, now, now.Add(-time.Hour), time.Minute); err == nil {
		t.Error("no error for an end before the start")
	}
	if _, err := ReadHistory(t.Context(), ClientOptions{URL: "not a url"}, "shop", nil, now.Add(-time.Hour), now, time.Minute); err == nil {
		t.Error("no error for a bad URL")
	}
}
