package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/localstack"
	"github.com/journeymap/journey-operator/internal/series"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

// liveResult holds the figures of the live-health phase of one scale.
type liveResult struct {
	monitors int
	// healthy is how long after the manager started every monitor was
	// Healthy; notHealthy counts those that were not within the limit.
	healthy    time.Duration
	notHealthy int

	queriesPerCycle float64
	cycleSeconds    float64
	cycles          int
	failedCycles    int

	steadyWindow time.Duration
	steadyWrites []string

	failing     int
	notCritical int
	// toCritical are the times from a touchpoint's runs failing to Critical
	// in its status, in health intervals, sorted.
	toCritical  []float64
	faultWrites []string

	ours, peer ruleCost
}

// ruleCost is what one set of rules costs the benchmark's Prometheus.
type ruleCost struct {
	slos, groups int
	// perRound is the sum of the groups' last evaluation times, averaged
	// over the samples; perMinute weighs each by its evaluations a minute.
	perRound, perMinute float64
	missed              float64
}

func (c ruleCost) perSLO(v float64) float64 { return v / float64(max(1, c.slos)) }

// liveDirs are the rule directories of the benchmark's Prometheus.
const (
	oursDir = "ours"
	peerDir = "peer"
)

// measureLive runs the manager against a real Prometheus that evaluates
// the operator's converged rules and a peer generator's rules for the same
// objectives, both fed by the benchmark's exporter.
func measureLive(ctx context.Context, opts options, env *controlplane.Env, c client.WithWatch, sc scale, j journeys) (*liveResult, error) {
	res := &liveResult{monitors: sc.monitors(), steadyWindow: opts.liveSteady}
	dir, err := os.MkdirTemp("", "bench-live-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }() // scratch files; a leftover harms nothing

	exp := newExporter(j)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	server := &http.Server{Handler: exp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	defer func() { _ = server.Close() }() // the phase is over; open scrapes may be cut

	step(sc, "live: the operator's rules and the peer's for the same objectives")
	if res.ours.groups, err = writeOurRules(ctx, c, filepath.Join(dir, oursDir)); err != nil {
		return nil, err
	}
	res.ours.slos = sc.monitors()
	if res.peer.slos, res.peer.groups, err = writePeerRules(env, j, opts.peerSLOs, dir); err != nil {
		return nil, err
	}

	promAddress, err := localstack.FreeAddress()
	if err != nil {
		return nil, err
	}
	stopProm, err := localstack.StartPrometheus(ctx, localstack.PrometheusOptions{
		Binary:    env.Bin("prometheus"),
		Dir:       filepath.Join(dir, "prometheus"),
		Address:   promAddress,
		RuleFiles: []string{filepath.Join(dir, oursDir, "*.yaml"), filepath.Join(dir, peerDir, "*.yaml")},
		ScrapeConfigs: []any{map[string]any{
			"job_name":       "journey-probe",
			"honor_labels":   true,
			"scrape_timeout": "10s",
			"static_configs": []any{map[string]any{"targets": []string{listener.Addr().String()}}},
		}},
		ScrapeInterval:     probeInterval,
		EvaluationInterval: 30 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = stopProm() }() // measurements are taken; a failed stop changes none

	writes := &testenv.WriteCounter{ByResource: true}
	mgrCtx, stopManager := context.WithCancel(ctx)
	defer stopManager()
	managerStarted := time.Now()
	if _, err := startManager(mgrCtx, env, opts, writes, managerOptions{
		syncPeriod:     max(opts.liveSteady/2, 30*time.Second),
		prometheus:     health.ClientOptions{URL: "http://" + promAddress, Timeout: opts.promTimeout},
		healthInterval: opts.healthInterval,
	}); err != nil {
		return nil, err
	}

	step(sc, "live: waiting for every touchpoint to be Healthy with its availability")
	all := map[string]bool{}
	for _, m := range j.monitors {
		all[m.Name] = true
	}
	reached, err := watchMonitors(ctx, c, all, 10*time.Minute, func(m *cxv1alpha1.TouchpointMonitor) bool {
		// The objective-window availability comes from the slower long-window
		// group; its first value is a write of warm-up, not of steady state.
		return m.Status.Health == cxv1alpha1.HealthHealthy && m.Status.SLI != nil && m.Status.SLI.Availability != ""
	})
	if err != nil {
		return nil, err
	}
	res.notHealthy = len(all) - len(reached)
	res.healthy = latest(reached).Sub(managerStarted)

	step(sc, fmt.Sprintf("live: healthy steady state for %s", opts.liveSteady))
	writes.WaitQuiet(5 * time.Second)
	promBefore, err := prometheusMetrics(ctx, promAddress)
	if err != nil {
		return nil, err
	}
	pollBefore, err := pollerFigures()
	if err != nil {
		return nil, err
	}
	before := writes.Snapshot()
	costs, err := sampleRuleCosts(ctx, promAddress, opts.liveSteady, filepath.Join(dir, oursDir), filepath.Join(dir, peerDir))
	if err != nil {
		return nil, err
	}
	res.steadyWrites = writes.Since(before)
	res.ours, res.peer = mergeCost(res.ours, costs[0]), mergeCost(res.peer, costs[1])
	promAfter, err := prometheusMetrics(ctx, promAddress)
	if err != nil {
		return nil, err
	}
	pollAfter, err := pollerFigures()
	if err != nil {
		return nil, err
	}
	res.cycles = int(pollAfter.cycles - pollBefore.cycles)
	res.failedCycles = int(pollAfter.failed - pollBefore.failed)
	queries := counterSum(promAfter, "prometheus_http_requests_total", `handler="/api/v1/query"`) - counterSum(promBefore, "prometheus_http_requests_total", `handler="/api/v1/query"`)
	res.queriesPerCycle = queries / float64(max(1, res.cycles))
	res.cycleSeconds = (pollAfter.seconds - pollBefore.seconds) / float64(max(1, res.cycles))

	res.failing = max(1, sc.monitors()/100)
	step(sc, fmt.Sprintf("live: %d touchpoints start failing", res.failing))
	failing, indexes := map[string]bool{}, []int{}
	for i := range res.failing {
		index := i * (len(exp.touchpoints) / res.failing)
		t := exp.touchpoints[index]
		failing[t.journey+"-"+t.touchpoint] = true
		indexes = append(indexes, index)
	}
	before = writes.Snapshot()
	failedAt := time.Now()
	exp.fail(indexes)
	critical, err := watchMonitors(ctx, c, failing, 5*opts.healthInterval, func(m *cxv1alpha1.TouchpointMonitor) bool { return m.Status.Health == cxv1alpha1.HealthCritical })
	if err != nil {
		return nil, err
	}
	res.notCritical = len(failing) - len(critical)
	for _, at := range critical {
		res.toCritical = append(res.toCritical, at.Sub(failedAt).Seconds()/opts.healthInterval.Seconds())
	}
	sort.Float64s(res.toCritical)
	// The recorded ratios follow the probe's result at the next rule
	// evaluations; what they change is part of the cost of a failure.
	time.Sleep(3 * opts.healthInterval)
	writes.WaitQuiet(5 * time.Second)
	res.faultWrites = writes.Since(before)
	return res, nil
}

// latest is the last of the times; the zero time without any.
func latest(times map[string]time.Time) time.Time {
	var last time.Time
	for _, t := range times {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// watchMonitors watches the named monitors until each has met done once
// or the limit passed, and returns when each met it first.
func watchMonitors(ctx context.Context, c client.WithWatch, names map[string]bool, limit time.Duration, done func(*cxv1alpha1.TouchpointMonitor) bool) (map[string]time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	met := map[string]time.Time{}
	for len(met) < len(names) && ctx.Err() == nil {
		w, err := c.Watch(ctx, &cxv1alpha1.TouchpointMonitorList{}, client.InNamespace(namespace))
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return nil, err
		}
		for ev := range w.ResultChan() {
			m, ok := ev.Object.(*cxv1alpha1.TouchpointMonitor)
			if !ok || ev.Type == watch.Deleted || !names[m.Name] {
				continue
			}
			if _, seen := met[m.Name]; !seen && done(m) {
				met[m.Name] = time.Now()
				if len(met) == len(names) {
					break
				}
			}
		}
		w.Stop()
	}
	return met, nil
}

// writeOurRules writes the rule groups of every PrometheusRule the
// operator converged to, as Prometheus rule files.
func writeOurRules(ctx context.Context, c client.Client, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var rules monitoringv1.PrometheusRuleList
	if err := c.List(ctx, &rules, client.InNamespace(namespace)); err != nil {
		return 0, err
	}
	groups := 0
	for _, r := range rules.Items {
		data, err := yaml.Marshal(map[string]any{"groups": r.Spec.Groups})
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(dir, r.Name+".yaml"), data, 0o644); err != nil {
			return 0, err
		}
		groups += len(r.Spec.Groups)
	}
	return groups, nil
}

// writePeerRules generates with Sloth, for up to limit touchpoints spread
// over the scale, the rules of the same objective the operator serves: the
// probe's failed runs over all runs, 99.5% over 28 days, page and ticket
// alerts. Beyond a thousand SLOs two full rule sets would starve one
// Prometheus on two cores, and costs are compared per SLO anyway.
func writePeerRules(env *controlplane.Env, j journeys, limit int, dir string) (slos, groups int, err error) {
	specDir, outDir := filepath.Join(dir, "peer-spec"), filepath.Join(dir, peerDir)
	for _, d := range []string{specDir, outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, 0, err
		}
	}
	every := max(1, (len(j.monitors)+limit-1)/limit)
	byJourney := map[string][]map[string]any{}
	for i, m := range j.monitors {
		if i%every != 0 {
			continue
		}
		selector := fmt.Sprintf(`namespace=%q, journey=%q, touchpoint=%q`, namespace, m.Spec.JourneyMapRef.Name, m.Spec.Touchpoint)
		byJourney[m.Spec.JourneyMapRef.Name] = append(byJourney[m.Spec.JourneyMapRef.Name], map[string]any{
			"name":      m.Spec.Touchpoint,
			"objective": 99.5,
			"sli": map[string]any{"events": map[string]any{
				"error_query": fmt.Sprintf(`sum(rate(%s{%s, result="failure"}[{{.window}}]))`, series.ProbeTotal, selector),
				"total_query": fmt.Sprintf(`sum(rate(%s{%s}[{{.window}}]))`, series.ProbeTotal, selector),
			}},
			"alerting": map[string]any{
				"name":         "PeerTouchpointErrorBudgetBurn",
				"page_alert":   map[string]any{"labels": map[string]string{"severity": "page"}},
				"ticket_alert": map[string]any{"labels": map[string]string{"severity": "ticket"}},
			},
		})
		slos++
	}
	for journeyName, specs := range byJourney {
		data, err := yaml.Marshal(map[string]any{"version": "prometheus/v1", "service": journeyName, "slos": specs})
		if err != nil {
			return 0, 0, err
		}
		if err := os.WriteFile(filepath.Join(specDir, journeyName+".yaml"), data, 0o644); err != nil {
			return 0, 0, err
		}
	}
	out, err := exec.Command(env.Bin("sloth"), "generate", "--input", specDir, "--out", outDir, "--default-slo-period=28d").CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("sloth generate: %w: %s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(outDir, "*.yaml"))
	if err != nil {
		return 0, 0, err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, 0, err
		}
		var file struct {
			Groups []map[string]any `json:"groups"`
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			return 0, 0, fmt.Errorf("sloth's %s: %w", f, err)
		}
		groups += len(file.Groups)
	}
	return slos, groups, nil
}

// sampleRuleCosts reads the rule groups' evaluation times every 30
// seconds for the window, for the rule files under each directory.
func sampleRuleCosts(ctx context.Context, address string, window time.Duration, dirs ...string) ([]ruleCost, error) {
	costs := make([]ruleCost, len(dirs))
	samples := 0
	end := time.Now().Add(window)
	for {
		families, err := prometheusMetrics(ctx, address)
		if err != nil {
			return nil, err
		}
		for i, d := range dirs {
			round, minute, missed := groupCosts(families, d)
			costs[i].perRound += round
			costs[i].perMinute += minute
			costs[i].missed = missed
		}
		samples++
		left := time.Until(end)
		if left <= 0 {
			break
		}
		time.Sleep(min(left, 30*time.Second))
	}
	for i := range costs {
		costs[i].perRound /= float64(samples)
		costs[i].perMinute /= float64(samples)
	}
	return costs, nil
}

// groupCosts sums, over the groups of the rule files under dir, the last
// evaluation time, the same weighed by evaluations a minute, and the
// missed iterations. Prometheus labels a group "file;name".
func groupCosts(families map[string]*dto.MetricFamily, dir string) (round, minute, missed float64) {
	intervals := map[string]float64{}
	for _, m := range metricsOf(families, "prometheus_rule_group_interval_seconds") {
		intervals[label(m, "rule_group")] = m.GetGauge().GetValue()
	}
	for _, m := range metricsOf(families, "prometheus_rule_group_last_duration_seconds") {
		group := label(m, "rule_group")
		if !strings.HasPrefix(group, dir+string(filepath.Separator)) {
			continue
		}
		d := m.GetGauge().GetValue()
		round += d
		if interval := intervals[group]; interval > 0 {
			minute += d * 60 / interval
		}
	}
	for _, m := range metricsOf(families, "prometheus_rule_group_iterations_missed_total") {
		if strings.HasPrefix(label(m, "rule_group"), dir+string(filepath.Separator)) {
			missed += m.GetCounter().GetValue()
		}
	}
	return round, minute, missed
}

func mergeCost(known, measured ruleCost) ruleCost {
	measured.slos, measured.groups = known.slos, known.groups
	return measured
}

// prometheusMetrics reads Prometheus' own metrics.
func prometheusMetrics(ctx context.Context, address string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+address+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }() // read whole below
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

func metricsOf(families map[string]*dto.MetricFamily, name string) []*dto.Metric {
	if f, ok := families[name]; ok {
		return f.GetMetric()
	}
	return nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// counterSum adds the counters of a family whose labels include match,
// written name="value".
func counterSum(families map[string]*dto.MetricFamily, name, match string) float64 {
	var sum float64
	for _, m := range metricsOf(families, name) {
		for _, l := range m.GetLabel() {
			if fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()) == match {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// pollFigures are the health poller's own counters, read from the
// manager's metrics registry (the manager runs in this process).
type pollFigures struct {
	cycles, failed, seconds float64
}

func pollerFigures() (pollFigures, error) {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		return pollFigures{}, err
	}
	var f pollFigures
	found := false
	for _, family := range families {
		switch family.GetName() {
		case "journey_health_poll_cycles_total":
			found = true
			for _, m := range family.GetMetric() {
				f.cycles += m.GetCounter().GetValue()
				if label(m, "result") == "failure" {
					f.failed += m.GetCounter().GetValue()
				}
			}
		case "journey_health_poll_duration_seconds":
			f.seconds = family.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	if !found {
		return f, errors.New("the manager's registry has no journey_health_poll_cycles_total: is the poller running?")
	}
	return f, nil
}
