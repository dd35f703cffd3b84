package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// lockedBuffer collects logs written by the running program.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRunServesMetricsAndReloads(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/next" {
			_, _ = io.WriteString(w, "second step")
			return
		}
		_, _ = io.WriteString(w, `{"status":"up","next":"/next"}`)
	}))
	defer target.Close()
	dnsAddr := dnsServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }() // stops the accept loop; nothing else rides on it
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close() // the test needs connections accepted, nothing more
		}
	}()

	probe := func(id, kind string) string {
		return "- id: " + id + "\n  labels: {namespace: shop, journey: checkout, stage: purchase, touchpoint: " + id + ", persona: buyer}\n  interval: 100ms\n  timeout: 5s\n" + kind
	}
	httpProbe := probe("web", "  http: {url: '"+target.URL+"', json: [{path: status, equals: up}]}\n")
	tcpProbe := probe("port", "  tcp: {address: '"+ln.Addr().String()+"'}\n")
	dnsProbe := probe("name", "  dns: {name: shop.example, recordType: A, server: '"+dnsAddr+"', expect: [192.0.2.1]}\n")
	flowProbe := probe("journey", "  flow:\n    steps:\n"+
		"    - {name: home, url: '"+target.URL+"/', capture: [{name: next, from: JSONPath, expression: next}]}\n"+
		"    - {name: next, url: '"+target.URL+"${next}', bodyContains: [second]}\n")
	path := filepath.Join(t.TempDir(), "probes.yaml")
	if err := os.WriteFile(path, []byte("probes:\n"+httpProbe), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	logs := &lockedBuffer{}
	go func() {
		done <- run(ctx, []string{"--config", path, "--listen-address", "127.0.0.1:0", "--max-concurrency", "2", "--log-level", "debug"},
			logs, func(a net.Addr) { addrc <- a })
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("run ended early: %v", err)
	}

	for _, p := range []string{"/healthz", "/readyz"} {
		if code := get(t, base+p); code != http.StatusOK {
			t.Errorf("%s: status %d", p, code)
		}
	}
	waitFor(t, "the HTTP probe to succeed", func() bool {
		return gauge(scrape(t, base), "journey_probe_success", "web") == 1
	})
	fams := scrape(t, base)
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "journey_probe_total", "journey_probe_duration_seconds"} {
		if fams[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}

	// Add a probe of every other kind to the live file: no restart needed.
	if err := os.WriteFile(path, []byte("probes:\n"+httpProbe+tcpProbe+dnsProbe+flowProbe), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	waitFor(t, "the added probes to succeed", func() bool {
		fams := scrape(t, base)
		return gauge(fams, "journey_probe_success", "port") == 1 &&
			gauge(fams, "journey_probe_success", "name") == 1 &&
			gauge(fams, "journey_probe_success", "journey") == 1 &&
			gauge(fams, "journey_probe_step_success", "journey") == 1
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
	if !strings.Contains(logs.String(), `"msg":"config applied"`) {
		t.Errorf("logs are not structured JSON:\n%s", logs.String())
	}
}

func TestRunRejectsInvalidStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "probes.yaml")
	if err := os.WriteFile(bad, []byte("probes:\n- id: a\n  flow: {}\n  tcp: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", bad}, `probe "a"`},
		{[]string{"--config", filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{"--config", bad, "--max-concurrency", "0"}, "--max-concurrency must be at least 1"},
		{[]string{"--config", bad, "--log-level", "loud"}, "--log-level"},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
	} {
		err := run(t.Context(), tt.args, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%v) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

// dnsServer answers every A question with 192.0.2.1 on a loopback UDP port.
func dnsServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			rr, _ := dns.NewRR(req.Question[0].Name + " 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
			_ = w.WriteMsg(m)
		})}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // only the status is checked
	return resp.StatusCode
}

func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // closing a response body a test has done with changes no result
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// gauge is the value of a probe's gauge, or -1 when it has no series.
func gauge(fams map[string]*dto.MetricFamily, name, probe string) float64 {
	for _, m := range fams[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "probe" && l.GetValue() == probe {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
