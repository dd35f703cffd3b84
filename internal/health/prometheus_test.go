package health

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeymap/journey-operator/internal/controlplane"
)

// exporter is a scrape target serving series in the text exposition
// format, as journey-probe and the recording rules would leave them in
// Prometheus: the real Prometheus scrapes it, so every query the poller
// runs is answered by Prometheus itself.
type exporter struct {
	mu     sync.Mutex
	series map[string]float64 // "name{labels}" → value
	server *httptest.Server
}

func newExporter(t *testing.T) *exporter {
	e := &exporter{series: map[string]float64{}}
	e.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		lines := make([]string, 0, len(e.series))
		for s, v := range e.series {
			lines = append(lines, s+" "+strconv.FormatFloat(v, 'g', -1, 64))
		}
		sort.Strings(lines)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = fmt.Fprintln(w, strings.Join(lines, "\n"))
	}))
	t.Cleanup(e.server.Close)
	return e
}

func (e *exporter) set(series string, v float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.series[series] = v
}

// drop removes every series of a touchpoint, as if nothing fed it.
func (e *exporter) drop(touchpoint string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for s := range e.series {
		if strings.Contains(s, `touchpoint="`+touchpoint+`"`) {
			delete(e.series, s)
		}
	}
}

// touchpoint exposes the series of a healthy probed touchpoint of journey
// trial in namespace shop.
func (e *exporter) touchpoint(tp string, objectiveWindows ...string) {
	l := fmt.Sprintf(`namespace="shop", journey="trial", touchpoint=%q`, tp)
	e.set(fmt.Sprintf(`journey:touchpoint_errors:ratio_rate5m{%s, sli="probe"}`, l), 0)
	e.set(fmt.Sprintf(`journey:touchpoint_errors:ratio_rate1h{%s, sli="probe"}`, l), 0.001)
	for _, w := range objectiveWindows {
		e.set(fmt.Sprintf(`journey:touchpoint_errors:ratio_rate%s{%s, sli="probe"}`, w, l), 0.002)
	}
	e.set(fmt.Sprintf(`journey_probe_success{%s, probe=%q}`, l, tp), 1)
	e.set(fmt.Sprintf(`journey:touchpoint_latency_seconds:quantile_rate5m{%s, quantile="0.95"}`, l), 0.2345)
}

// alertRules fire a page alert for a touchpoint whose 5m error ratio is
// above one half, at once.
const alertRules = `groups:
- name: test
  interval: 1s
  rules:
  - alert: JourneyTouchpointErrorBudgetBurn
    expr: journey:touchpoint_errors:ratio_rate5m > 0.5
    labels: {severity: critical}
`

// prometheus is the real Prometheus from bin/, on a loopback address,
// scraping one target every second.
type prometheus struct {
	t       *testing.T
	dir     string
	address string
	cmd     *exec.Cmd
	exited  chan struct{}
}

func startPrometheus(t *testing.T, address, target string) *prometheus {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(root, "bin", "prometheus")
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("no Prometheus in bin/ (make tools builds it): %v", err)
	}
	dir := t.TempDir()
	targetURL, _ := url.Parse(target)
	config := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
- job_name: series
  honor_labels: true
  static_configs: [{targets: [%q]}]
`, filepath.Join(dir, "rules.yaml"), targetURL.Host)
	for name, text := range map[string]string{"prometheus.yml": config, "rules.yaml": alertRules} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := &prometheus{t: t, dir: dir, address: address}
	p.start(binary)
	t.Cleanup(p.stop)
	return p
}

func (p *prometheus) start(binary string) {
	p.t.Helper()
	log, err := os.OpenFile(filepath.Join(p.dir, "prometheus.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(binary,
		"--config.file="+filepath.Join(p.dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(p.dir, "data"),
		"--web.listen-address="+p.address,
		"--log.level=warn")
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		_ = log.Close()
		close(exited)
	}(p.cmd, p.exited)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + p.address + "/-/ready")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("prometheus not ready on %s; see %s", p.address, filepath.Join(p.dir, "prometheus.log"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *prometheus) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

// restart starts Prometheus again on the same address and data.
func (p *prometheus) restart() {
	p.t.Helper()
	root, _ := controlplane.RepoRoot()
	p.start(filepath.Join(root, "bin", "prometheus"))
}

func (p *prometheus) url() string { return "http://" + p.address }

// instantQueries reads, from Prometheus' own metrics, how many requests
// its instant query endpoint has answered.
func (p *prometheus) instantQueries(t *testing.T) int {
	return p.requests(t, "/api/v1/query")
}

// requests reads, from Prometheus' own metrics, how many requests one of
// its HTTP handlers has answered.
func (p *prometheus) requests(t *testing.T, handler string) int {
	t.Helper()
	resp, err := http.Get(p.url() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	total := 0.0
	scanner := bufio.NewScanner(resp.Body)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, "prometheus_http_requests_total{") && strings.Contains(line, `handler="`+handler+`"`) {
			v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			total += v
		}
	}
	return int(total)
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}
