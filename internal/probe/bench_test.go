package probe

import (
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// BenchmarkHTTPProbeExecutions measures complete runs (fresh connection,
// request, bounded body read, assertions, metrics) against a loopback server.
func BenchmarkHTTPProbeExecutions(b *testing.B) {
	srv := okServer(b)
	e := NewEngine(NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler), 16)
	defer e.Stop()
	p := httpProbeTo("shop/bench", srv.URL)
	p.HTTP.BodyContains = []string{"ok"}
	cp, err := compileProbe(p)
	if err != nil {
		b.Fatal(err)
	}
	e.metrics.init(cp)
	r := &runner{probe: cp}
	b.ReportAllocs()
	for b.Loop() {
		e.execute(b.Context(), r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "probes/s")
	if r.last != ReasonOK {
		b.Fatalf("last run: %s", r.last)
	}
}

// BenchmarkHeapPerProbe measures the memory a configured probe holds while
// idle between runs: compiled definition, scheduler, and metric series.
// Goroutine stacks live outside the heap and are reported separately.
func BenchmarkHeapPerProbe(b *testing.B) {
	const n = 1000
	cfg := &probeconfig.Config{}
	for i := range n {
		id := fmt.Sprintf("shop/monitor-%04d", i)
		cfg.Probes = append(cfg.Probes, probeconfig.Probe{
			ID: id, Labels: testLabels(id), Interval: dur(time.Hour), Timeout: dur(10 * time.Second),
			HTTP: &probeconfig.HTTPRequest{URL: "https://shop.example/" + id, BodyContains: []string{"Welcome"}, JSON: []probeconfig.JSONAssertion{{Path: "status", Equals: strp("up")}}},
		})
	}
	var heap, stack float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := NewEngine(NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler), 16)
		if err := e.Apply(cfg); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = float64(after.HeapAlloc-before.HeapAlloc) / n
		stack = float64(after.StackInuse-before.StackInuse) / n
		e.Stop()
	}
	b.ReportMetric(heap, "heap-bytes/probe")
	b.ReportMetric(stack, "stack-bytes/probe")
}
