package probe

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

func TestEngineMetrics(t *testing.T) {
	e := newTestEngine(t, 4)
	if resp, err := http.Get(e.metricsURL[:len(e.metricsURL)-len("/metrics")] + "/readyz"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz before any config: %v %v, want 503", resp.StatusCode, err)
	}
	var cartStatus atomic.Int32
	cartStatus.Store(http.StatusBadGateway)
	shop := shopServer(t, &cartStatus)
	flow := probeconfig.Probe{ID: "shop/flow", Labels: testLabels("checkout"), Interval: dur(50 * time.Millisecond), Timeout: dur(5 * time.Second), Flow: shopFlow(shop.URL)}
	cfg := &probeconfig.Config{Probes: []probeconfig.Probe{
		httpProbeTo("shop/ok", okServer(t).URL),
		httpProbeTo("shop/bad", statusServer(t, http.StatusServiceUnavailable).URL),
		flow,
	}}
	if err := e.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	var fams map[string]*dto.MetricFamily
	eventually(t, "every probe to run", func() bool {
		fams = scrape(t, e.metricsURL)
		for _, id := range []string{"shop/ok", "shop/bad", "shop/flow"} {
			if value(fams, "journey_probe_duration_seconds", map[string]string{"probe": id}) < 1 {
				return false
			}
		}
		return true
	})

	okLabels := map[string]string{"namespace": "shop", "journey": "checkout", "stage": "purchase", "touchpoint": "shop/ok", "persona": "buyer", "probe": "shop/ok"}
	if got := value(fams, "journey_probe_success", okLabels); got != 1 {
		t.Errorf("success of shop/ok = %v, want 1", got)
	}
	if got := value(fams, "journey_probe_total", merge(okLabels, "result", "success", "reason", "ok")); got < 1 {
		t.Errorf("successes of shop/ok = %v, want ≥ 1", got)
	}
	// Failure series exist at zero before any failure, so failure ratios are 0, not empty.
	if got := value(fams, "journey_probe_total", merge(okLabels, "result", "failure", "reason", "timeout")); got != 0 {
		t.Errorf("timeouts of shop/ok = %v, want a zero series", got)
	}
	bad := map[string]string{"probe": "shop/bad"}
	if got := value(fams, "journey_probe_success", bad); got != 0 {
		t.Errorf("success of shop/bad = %v, want 0", got)
	}
	if got := value(fams, "journey_probe_total", merge(bad, "result", "failure", "reason", "status")); got < 1 {
		t.Errorf("status failures of shop/bad = %v, want ≥ 1", got)
	}

	h := find(fams, "journey_probe_duration_seconds", okLabels).GetHistogram()
	var bounds []float64
	for _, b := range h.GetBucket() {
		bounds = append(bounds, b.GetUpperBound())
	}
	// The text format adds the +Inf bucket.
	if len(bounds) != len(durationBuckets)+1 || bounds[0] != .025 || bounds[len(durationBuckets)-1] != 10 {
		t.Errorf("duration buckets = %v, want %v", bounds, durationBuckets)
	}

	fl := map[string]string{"probe": "shop/flow"}
	if got := value(fams, "journey_probe_total", merge(fl, "result", "failure", "reason", "status")); got < 1 {
		t.Errorf("status failures of the flow = %v, want ≥ 1", got)
	}
	if got := value(fams, "journey_probe_step_success", merge(fl, "step", "login")); got != 1 {
		t.Errorf("login step success = %v, want 1", got)
	}
	if got := value(fams, "journey_probe_step_success", merge(fl, "step", "cart")); got != 0 {
		t.Errorf("cart step success = %v, want 0", got)
	}
	if got := value(fams, "journey_probe_step_success", merge(fl, "step", "checkout")); got != -1 {
		t.Errorf("checkout step success = %v, want no series: the flow never got there", got)
	}
	if got := value(fams, "journey_probe_step_total", merge(fl, "step", "cart", "result", "failure", "reason", "status")); got < 1 {
		t.Errorf("cart step failures = %v, want ≥ 1", got)
	}
	if got := value(fams, "journey_probe_step_duration_seconds", merge(fl, "step", "login")); got < 1 {
		t.Errorf("login step durations = %v, want ≥ 1", got)
	}
	for name, typ := range map[string]dto.MetricType{
		"journey_probe_success": dto.MetricType_GAUGE, "journey_probe_duration_seconds": dto.MetricType_HISTOGRAM,
		"journey_probe_total": dto.MetricType_COUNTER, "journey_probe_step_success": dto.MetricType_GAUGE,
		"journey_probe_step_duration_seconds": dto.MetricType_HISTOGRAM, "journey_probe_step_total": dto.MetricType_COUNTER,
	} {
		if got := fams[name].GetType(); got != typ {
			t.Errorf("%s is a %v, want %v", name, got, typ)
		}
	}

	if !containsAll(e.logs.String(), `"msg":"probe failing"`, `"probe":"shop/flow"`, `"reason":"status"`, `"step":"cart"`) {
		t.Errorf("no failure log naming the step; logs:\n%s", e.logs.String())
	}

	// Once the cart recovers, the whole flow succeeds and says so.
	cartStatus.Store(0)
	eventually(t, "the flow to recover", func() bool {
		fams = scrape(t, e.metricsURL)
		return value(fams, "journey_probe_success", fl) == 1 &&
			value(fams, "journey_probe_step_success", merge(fl, "step", "checkout")) == 1
	})
	if !containsAll(e.logs.String(), `"msg":"probe recovered"`) {
		t.Errorf("no recovery log")
	}
}

// merge returns base plus the given name/value pairs.
func merge(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestEngineHealthEndpoints(t *testing.T) {
	e := newTestEngine(t, 1)
	base := e.metricsURL[:len(e.metricsURL)-len("/metrics")]
	get := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // only the status is checked
		return resp.StatusCode
	}
	if get("/healthz") != http.StatusOK || get("/readyz") != http.StatusServiceUnavailable {
		t.Fatal("want healthy but not ready before a config is applied")
	}
	if err := e.Apply(&probeconfig.Config{}); err != nil {
		t.Fatal(err)
	}
	if get("/readyz") != http.StatusOK {
		t.Fatal("want ready once a config is applied")
	}
}

// blockingServer holds every request until the test ends or the client
// gives up, and counts requests in flight.
func blockingServer(t *testing.T) (srv *httptest.Server, maxInFlight *atomic.Int32) {
	t.Helper()
	release := make(chan struct{})
	var inFlight, peak atomic.Int32
	srv = httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv, &peak
}

func TestEngineSlowTargetDoesNotDelayOthers(t *testing.T) {
	e := newTestEngine(t, 2)
	slowSrv, slowPeak := blockingServer(t)
	slow := httpProbeTo("shop/slow", slowSrv.URL)
	slow.Timeout = dur(time.Hour)
	fast := httpProbeTo("shop/fast", okServer(t).URL)
	if err := e.Apply(&probeconfig.Config{Probes: []probeconfig.Probe{slow, fast}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fast probe to run repeatedly", func() bool {
		return value(scrape(t, e.metricsURL), "journey_probe_duration_seconds", map[string]string{"probe": "shop/fast"}) >= 10
	})
	fams := scrape(t, e.metricsURL)
	if find(fams, "journey_probe_duration_seconds", map[string]string{"probe": "shop/slow"}) != nil {
		t.Errorf("slow probe finished a run, want none")
	}
	// Ticks that find the previous run still going are skipped, not queued.
	if got := slowPeak.Load(); got != 1 {
		t.Errorf("slow target saw %d concurrent requests, want 1", got)
	}
	if !containsAll(e.logs.String(), "probe run skipped") {
		t.Errorf("no log of skipped runs")
	}
}

func TestEngineConcurrencyBound(t *testing.T) {
	var inFlight, peak, served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		served.Add(1)
	}))
	defer srv.Close()
	e := newTestEngine(t, 1)
	var probes []probeconfig.Probe
	for _, id := range []string{"shop/a", "shop/b", "shop/c", "shop/d"} {
		probes = append(probes, httpProbeTo(id, srv.URL))
	}
	if err := e.Apply(&probeconfig.Config{Probes: probes}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "runs of every probe", func() bool { return served.Load() >= 20 })
	if got := peak.Load(); got != 1 {
		t.Fatalf("%d runs in flight at once, want at most --max-concurrency=1", got)
	}
}

func TestEngineRejectsInvalidConfig(t *testing.T) {
	e := newTestEngine(t, 2)
	if err := e.Apply(&probeconfig.Config{Probes: []probeconfig.Probe{httpProbeTo("shop/ok", okServer(t).URL)}}); err != nil {
		t.Fatal(err)
	}
	bad := httpProbeTo("shop/bad", "ftp://nope")
	if err := e.Apply(&probeconfig.Config{Probes: []probeconfig.Probe{bad}}); err == nil {
		t.Fatal("invalid config applied")
	}
	ok := map[string]string{"probe": "shop/ok"}
	before := value(scrape(t, e.metricsURL), "journey_probe_duration_seconds", ok)
	eventually(t, "the last good config to keep running", func() bool {
		return value(scrape(t, e.metricsURL), "journey_probe_duration_seconds", ok) > before
	})
	if find(scrape(t, e.metricsURL), "journey_probe_total", map[string]string{"probe": "shop/bad"}) != nil {
		t.Fatal("series of the rejected config exist")
	}
}

func TestEngineApplyAfterStop(t *testing.T) {
	e := newTestEngine(t, 1)
	e.Stop()
	if err := e.Apply(&probeconfig.Config{}); err == nil {
		t.Fatal("stopped engine accepted a config")
	}
}
