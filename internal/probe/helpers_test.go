package probe

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// testLabels are journey labels for a probe named id.
func testLabels(id string) probeconfig.Labels {
	return probeconfig.Labels{Namespace: "shop", Journey: "checkout", Stage: "purchase", Touchpoint: id, Persona: "buyer"}
}

// dur is a metav1.Duration for config literals.
func dur(d time.Duration) metav1.Duration { return metav1.Duration{Duration: d} }

// compileProbe compiles one probe as Apply would.
func compileProbe(p probeconfig.Probe) (*compiledProbe, error) {
	compiled, err := compileConfig(&probeconfig.Config{Probes: []probeconfig.Probe{p}})
	if err != nil {
		return nil, err
	}
	return compiled[0], nil
}

// runOnce compiles p and runs it once with its timeout, as the engine would.
func runOnce(t *testing.T, p probeconfig.Probe) (Reason, error) {
	t.Helper()
	if p.ID == "" {
		p.ID = "shop/test"
	}
	if p.Labels == (probeconfig.Labels{}) {
		p.Labels = testLabels("test")
	}
	if p.Interval.Duration == 0 {
		p.Interval = dur(time.Minute)
	}
	if p.Timeout.Duration == 0 {
		p.Timeout = dur(5 * time.Second)
	}
	cp, err := compileProbe(p)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), cp.timeout)
	defer cancel()
	err = cp.checker.check(ctx, func(string, time.Duration, error) {})
	return reasonOf(ctx, err), err
}

// wantReason fails the test unless the run ended with want.
func wantReason(t *testing.T, got Reason, err error, want Reason) {
	t.Helper()
	if got != want {
		t.Fatalf("reason = %q (error %v), want %q", got, err, want)
	}
}

// eventually polls cond until it holds or a generous deadline passes; tests
// wait for outcomes instead of sleeping for a guessed time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a log sink that tests can read while the engine writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEngine is an engine with its metrics served over real HTTP.
type testEngine struct {
	*Engine
	logs       *syncBuffer
	metricsURL string
}

func newTestEngine(t *testing.T, maxConcurrency int) *testEngine {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	e := NewEngine(NewMetrics(reg), log, maxConcurrency)
	t.Cleanup(e.Stop)
	srv := httptest.NewServer(NewHandler(reg, e.Ready))
	t.Cleanup(srv.Close)
	return &testEngine{Engine: e, logs: logs, metricsURL: srv.URL + "/metrics"}
}

// scrape GETs a /metrics endpoint and parses the text exposition format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer func() { _ = resp.Body.Close() }() // closing a response body a test has done with changes no result
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

// find returns the metric of family name whose labels include want.
func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	fam := fams[name]
	if fam == nil {
		return nil
	}
next:
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's sample count; -1
// when the series does not exist.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	m := find(fams, name, want)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return -1
}

// writeConfig writes cfg as the operator renders it (YAML of the JSON tags).
func writeConfig(t *testing.T, path string, cfg probeconfig.Config) {
	t.Helper()
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFileAtomic(t, path, data)
}

// writeFileAtomic replaces path by rename, as most config writers do.
func writeFileAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// okServer is an HTTP target that answers 200 "ok" to everything.
func okServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// statusServer answers every request with code.
func statusServer(t *testing.T, code int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// httpProbeTo is a fast-cycling HTTP probe of url, for engine tests.
func httpProbeTo(id, url string) probeconfig.Probe {
	return probeconfig.Probe{
		ID:       id,
		Labels:   testLabels(id),
		Interval: dur(50 * time.Millisecond),
		Timeout:  dur(5 * time.Second),
		HTTP:     &probeconfig.HTTPRequest{URL: url},
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
