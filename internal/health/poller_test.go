package health

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

var testObjective = Objective{Budget: 0.005, PageErrorRatio: 0.005 * 14.4, PageSeverity: "critical", LatencyThreshold: 800 * time.Millisecond}

func tpName(i int) string { return fmt.Sprintf("tp%02d", i) }

// watchOf watches touchpoint i of journey trial; even ones have a 28-day
// objective window, odd ones 30 days.
func watchOf(i int) Watch {
	window := "28d"
	if i%2 == 1 {
		window = "30d"
	}
	return Watch{Touchpoint: TouchpointKey{Namespace: "shop", Journey: "trial", Touchpoint: tpName(i)}, ObjectiveWindow: window, Objective: testObjective}
}

func monitorKey(i int) types.NamespacedName {
	return types.NamespacedName{Namespace: "shop", Name: tpName(i)}
}

func newTestPoller(t *testing.T, promURL string, interval time.Duration) *Poller {
	t.Helper()
	p, err := NewPoller(PollerOptions{ClientOptions: ClientOptions{URL: promURL, Timeout: 300 * time.Millisecond}, Interval: interval, Namespaces: []string{"shop"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The number of queries per cycle is the fixed set, counted by Prometheus
// itself: the same for 20 monitors as for 2, across two objective windows.
func TestPollerQueriesAFixedSetPerCycle(t *testing.T) {
	e := newExporter(t)
	for i := 0; i < 20; i++ {
		e.touchpoint(tpName(i), watchOf(i).ObjectiveWindow)
	}
	e.set(`journey:success:ratio_rate5m{namespace="shop", journey="trial"}`, 0.973149)
	prom := startPrometheus(t, freeAddress(t), e.server.URL)
	ctx := context.Background()

	perCycle := func(monitors int) int {
		p := newTestPoller(t, prom.url(), time.Second)
		testenv.Eventually(t, 30*time.Second, func() error {
			if err := p.Poll(ctx); err != nil {
				return err
			}
			for i := 0; i < monitors; i++ {
				if r := p.Latest(monitorKey(i), watchOf(i)); r.Verdict.Health != cxv1alpha1.HealthHealthy || r.Verdict.SLI.Availability == "" {
					return fmt.Errorf("%s: %+v", tpName(i), r)
				}
			}
			return nil
		})
		before := prom.instantQueries(t)
		countedBefore, cyclesBefore := testutil.ToFloat64(pollQueries), testutil.ToFloat64(pollCycles.WithLabelValues("success"))
		if err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		// The poller's own metrics tell an SRE the same as Prometheus does.
		if counted := testutil.ToFloat64(pollQueries) - countedBefore; int(counted) != len(queries(nil, "")) {
			t.Errorf("journey_health_poll_queries_total grew by %v in one cycle, want %d", counted, len(queries(nil, "")))
		}
		if cycles := testutil.ToFloat64(pollCycles.WithLabelValues("success")) - cyclesBefore; cycles != 1 {
			t.Errorf(`journey_health_poll_cycles_total{result="success"} grew by %v in one cycle, want 1`, cycles)
		}
		var after int
		// Prometheus counts a request once its handler returned.
		testenv.Eventually(t, 5*time.Second, func() error {
			if after = prom.instantQueries(t); after-before < len(queries(nil, "")) {
				return fmt.Errorf("%d queries so far", after-before)
			}
			return nil
		})
		want := cxv1alpha1.SLIStatus{Availability: "99.80", AvailabilityLastHour: "99.90", Latency: "230ms", ErrorBudgetRemaining: "60", BurnRate: "0.20"}
		if r := p.Latest(monitorKey(1), watchOf(1)); r.Verdict.SLI != want || r.Verdict.Reason != ReasonMeeting {
			t.Errorf("reading %+v, want SLI %+v", r.Verdict, want)
		}
		if j := p.Journey(types.NamespacedName{Namespace: "shop", Name: "trial"}, JourneyKey{Namespace: "shop", Journey: "trial"}); j.SuccessRatio != "0.9731" {
			t.Errorf("journey %+v", j)
		}
		return after - before
	}
	twenty, two := perCycle(20), perCycle(2)
	t.Logf("instant queries per cycle: %d with 20 monitors, %d with 2 (one per touchpoint before: 5-6 x N)", twenty, two)
	if twenty != len(queries(nil, "")) || two != twenty {
		t.Errorf("queries per cycle: %d with 20 monitors, %d with 2; want %d for both", twenty, two, len(queries(nil, "")))
	}
}

// fakeReconciler stands in for the monitor controller: on each event it
// reads the monitor's reading as Reconcile does, and "writes status" when
// the reading differs from what it shows.
type fakeReconciler struct {
	p       *Poller
	mu      sync.Mutex
	watches map[types.NamespacedName]Watch
	shown   map[types.NamespacedName]Reading
	// enqueues and writes count per monitor.
	enqueues, writes map[types.NamespacedName]int
	// history is every reading written, for failure messages.
	history []string
}

func runPoller(t *testing.T, p *Poller, monitors int) *fakeReconciler {
	t.Helper()
	f := &fakeReconciler{p: p, watches: map[types.NamespacedName]Watch{}, shown: map[types.NamespacedName]Reading{},
		enqueues: map[types.NamespacedName]int{}, writes: map[types.NamespacedName]int{}}
	for i := 0; i < monitors; i++ {
		f.watches[monitorKey(i)] = watchOf(i)
		f.shown[monitorKey(i)] = p.Latest(monitorKey(i), watchOf(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = p.Start(ctx); done <- struct{}{} }()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-p.MonitorEvents():
				key := types.NamespacedName{Namespace: ev.Object.GetNamespace(), Name: ev.Object.GetName()}
				f.mu.Lock()
				r := p.Latest(key, f.watches[key])
				f.enqueues[key]++
				if !r.Same(f.shown[key]) {
					f.writes[key]++
					f.shown[key] = r
					f.history = append(f.history, fmt.Sprintf("%s %s: polled %v unreachable %q %s (%s) %+v", time.Now().Format("15:04:05.000"), key.Name, r.Polled, r.Unreachable, r.Verdict.Health, r.Verdict.Reason, r.Verdict.SLI))
				}
				f.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; <-done })
	return f
}

func (f *fakeReconciler) reading(i int) Reading {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.shown[monitorKey(i)]
}

func (f *fakeReconciler) counts() (enqueues, writes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.enqueues {
		enqueues += n
	}
	for _, n := range f.writes {
		writes += n
	}
	return enqueues, writes
}

// await waits until every monitor shows what check accepts.
func (f *fakeReconciler) await(t *testing.T, what string, monitors []int, check func(Reading) error) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, func() error {
		for _, i := range monitors {
			if err := check(f.reading(i)); err != nil {
				return fmt.Errorf("%s: %s: %w", what, tpName(i), err)
			}
		}
		return nil
	})
}

// quiet asserts that nothing is enqueued for a while: a steady state, or a
// lasting outage, costs no reconcile.
func (f *fakeReconciler) quiet(t *testing.T, what string, d time.Duration) {
	t.Helper()
	before, _ := f.counts()
	time.Sleep(d)
	if after, _ := f.counts(); after != before {
		f.mu.Lock()
		defer f.mu.Unlock()
		t.Errorf("%s: %d enqueues in %s, want none; readings written:\n%s", what, after-before, d, strings.Join(f.history, "\n"))
	}
}

func healthIs(want cxv1alpha1.Health, reason string) func(Reading) error {
	return func(r Reading) error {
		if !r.Polled || r.Unreachable != "" || r.Verdict.Health != want || (reason != "" && r.Verdict.Reason != reason) {
			return fmt.Errorf("reading %+v, want %s (%s)", r, want, reason)
		}
		return nil
	}
}

func unreachable(reason string) func(Reading) error {
	return func(r Reading) error {
		if r.Unreachable != reason {
			return fmt.Errorf("reading %+v, want unreachable: %s", r, reason)
		}
		return nil
	}
}

// faultProxy stands between the poller and the real Prometheus and breaks
// on demand the way a Prometheus (or what fronts it) breaks.
type faultProxy struct {
	mode   atomic.Value // string: "", "500", "html", "slow"
	server *httptest.Server
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	f := &faultProxy{}
	f.mode.Store("")
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch f.mode.Load().(string) {
		case "500":
			http.Error(w, "upstream exploded", http.StatusInternalServerError)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>Sign in to continue</body></html>"))
		case "slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
				return
			}
			proxy.ServeHTTP(w, r)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(f.server.Close)
	return f
}

// Against the real Prometheus: what a cycle reads, judged, and how the
// poller rides out a Prometheus answering 500, HTML or too late. Each
// fault is said once per monitor, costs no further reconcile while it
// lasts, backs off, and heals by itself.
func TestPollerAgainstPrometheus(t *testing.T) {
	const monitors = 6
	e := newExporter(t)
	for i := 0; i < monitors; i++ {
		e.touchpoint(tpName(i), watchOf(i).ObjectiveWindow)
	}
	prom := startPrometheus(t, freeAddress(t), e.server.URL)
	proxy := newFaultProxy(t, prom.url())
	p := newTestPoller(t, proxy.server.URL, 100*time.Millisecond)
	f := runPoller(t, p, monitors)
	all := []int{0, 1, 2, 3, 4, 5}
	f.await(t, "healthy", all, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
	f.quiet(t, "steady state", time.Second)

	t.Run("a result missing some touchpoints", func(t *testing.T) {
		e.drop(tpName(3))
		f.await(t, "no data", []int{3}, healthIs(cxv1alpha1.HealthUnknown, ReasonNoData))
		f.await(t, "others fine", []int{0, 1, 2, 4, 5}, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
		e.touchpoint(tpName(3), watchOf(3).ObjectiveWindow)
		f.await(t, "back", []int{3}, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
	})

	t.Run("two results for one touchpoint: the worst wins", func(t *testing.T) {
		twin := fmt.Sprintf(`journey:touchpoint_errors:ratio_rate1h{namespace="shop", journey="trial", touchpoint=%q, sli="probe", replica="b"}`, tpName(4))
		e.set(twin, 0.02)
		f.await(t, "worst of two", []int{4}, healthIs(cxv1alpha1.HealthDegraded, ReasonBelowObjective))
		if got := f.reading(4).Verdict.SLI.AvailabilityLastHour; got != "98.00" {
			t.Errorf("availability over the last hour %s, want the worse replica's 98.00", got)
		}
		e.mu.Lock()
		delete(e.series, twin)
		e.mu.Unlock()
		f.await(t, "back", []int{4}, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
	})

	t.Run("page alert firing while the probe works again", func(t *testing.T) {
		short := fmt.Sprintf(`journey:touchpoint_errors:ratio_rate5m{namespace="shop", journey="trial", touchpoint=%q, sli="probe"}`, tpName(5))
		probe := fmt.Sprintf(`journey_probe_success{namespace="shop", journey="trial", touchpoint=%q, probe=%q}`, tpName(5), tpName(5))
		e.set(short, 0.9)
		e.set(probe, 0)
		f.await(t, "failing now", []int{5}, healthIs(cxv1alpha1.HealthCritical, ReasonProbeFailing))
		f.await(t, "alert in the reading", []int{5}, func(r Reading) error {
			if len(r.Alerts) != 1 || r.Alerts[0].Severity != "critical" || r.Alerts[0].Since.IsZero() {
				return fmt.Errorf("alerts %+v", r.Alerts)
			}
			return nil
		})
		e.set(probe, 1)
		f.await(t, "recovering", []int{5}, healthIs(cxv1alpha1.HealthDegraded, ReasonRecovering))
		e.set(short, 0)
		f.await(t, "alert resolved", []int{5}, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
	})

	for _, fault := range []struct{ mode, reason string }{
		{"500", "answered HTTP 500 Internal Server Error"},
		{"html", "answered with text/html, not JSON"},
		{"slow", "did not answer within 300ms"},
	} {
		t.Run("answering "+fault.mode, func(t *testing.T) {
			f.quiet(t, "before", 500*time.Millisecond)
			enqueues, writes := f.counts()
			cycles := p.Cycles()
			proxy.mode.Store(fault.mode)
			f.await(t, "unreachable", all, unreachable(fault.reason))
			f.quiet(t, "while it lasts", 2*time.Second)
			// 2s of 100ms intervals would be 20 cycles; backing off
			// (200, 400, 500, 500ms ...) makes it a handful.
			if n := p.Cycles() - cycles; n > 10 {
				t.Errorf("%d cycles against a failing Prometheus in about 2s: no backoff", n)
			}
			proxy.mode.Store("")
			f.await(t, "healthy again", all, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
			e2, w2 := f.counts()
			// One reconcile and one write per monitor into the outage,
			// one out of it.
			if e2-enqueues != 2*monitors || w2-writes != 2*monitors {
				t.Errorf("%d enqueues and %d writes for %d monitors through the outage, want %d each", e2-enqueues, w2-writes, monitors, 2*monitors)
			}
		})
	}
}

// Prometheus down when the operator starts, then started; then going down
// mid-run and coming back. The monitors say "refused the connection" once,
// and health comes back by itself.
func TestPollerPrometheusDownAndBack(t *testing.T) {
	const monitors = 3
	e := newExporter(t)
	for i := 0; i < monitors; i++ {
		e.touchpoint(tpName(i), watchOf(i).ObjectiveWindow)
	}
	address := freeAddress(t)
	p := newTestPoller(t, "http://"+address, 100*time.Millisecond)
	f := runPoller(t, p, monitors)
	all := []int{0, 1, 2}
	const refused = "refused the connection"

	f.await(t, "down at start", all, unreachable(refused))
	f.quiet(t, "while down", time.Second)
	prom := startPrometheus(t, address, e.server.URL)
	f.await(t, "started", all, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
	f.quiet(t, "steady", time.Second)

	enqueues, _ := f.counts()
	prom.stop()
	f.await(t, "down mid-run", all, unreachable(refused))
	f.quiet(t, "while down", time.Second)
	prom.restart()
	f.await(t, "back", all, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
	// A restarted Prometheus answers from its replayed WAL before it has
	// scraped again, and may briefly show the touchpoints without data
	// in between: real changes, each enqueued once. Then it settles.
	time.Sleep(3 * time.Second)
	f.await(t, "settled", all, healthIs(cxv1alpha1.HealthHealthy, ReasonMeeting))
	f.quiet(t, "steady again", time.Second)
	if n, _ := f.counts(); n-enqueues > 5*monitors {
		f.mu.Lock()
		t.Errorf("%d enqueues for %d monitors through a restart of Prometheus:\n%s", n-enqueues, monitors, strings.Join(f.history, "\n"))
		f.mu.Unlock()
	}
}
