// Command bench measures how journey-operator scales: how fast it
// converges compared with what the apiserver can take, how quiet it is in
// steady state, how fast it follows spec changes, what it costs in memory
// per touchpoint, and how it restores deleted children. Every figure is
// measured in one run, next to its reference, because these machines are
// noisy: ratios travel, absolute numbers do not.
//
//	go run ./test/bench [--scales=10x10,50x20,100x50] [--steady=5m] [--churn=1m] [--out=docs/benchmarks.md]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
)

type options struct {
	scales          []scale
	steady          time.Duration
	steadyAtLargest time.Duration
	churn           time.Duration
	churnRate       int
	out             string
	concurrency     int
	qps             float64
	burst           int
	cpuProfile      string
	memProfile      string
	// live runs the live-health phase; onlyLive runs it right after the
	// cold converge, without the other phases.
	live, onlyLive bool
	liveSteady     time.Duration
	healthInterval time.Duration
	promTimeout    time.Duration
	peerSLOs       int
}

type scale struct{ maps, touchpoints int }

func (s scale) String() string { return fmt.Sprintf("%dx%d", s.maps, s.touchpoints) }

func (s scale) monitors() int { return s.maps * s.touchpoints }

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctrl.SetLogger(logr.Discard())
	if opts.cpuProfile != "" {
		stop, err := startCPUProfile(opts.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer stop()
	}
	started := time.Now()
	report, err := run(context.Background(), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	report.wall = time.Since(started)
	sections := map[section]string{}
	if !opts.onlyLive {
		sections[mainSection] = report.markdown(opts)
	}
	if opts.live {
		sections[liveSection] = report.liveMarkdown(opts)
	}
	for _, s := range []section{mainSection, liveSection} {
		if table, ok := sections[s]; ok {
			fmt.Println(table)
		}
	}
	if opts.out != "" {
		if err := writeReport(opts.out, sections); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	scales := fs.String("scales", "10x10,50x20,100x50", "maps × touchpoints per map, comma-separated; each touchpoint has a TouchpointMonitor")
	fs.DurationVar(&o.steady, "steady", time.Minute, "steady-state window at every scale but the largest")
	fs.DurationVar(&o.steadyAtLargest, "steady-largest", 5*time.Minute, "steady-state window at the largest scale")
	fs.DurationVar(&o.churn, "churn", time.Minute, "how long spec updates are made")
	fs.IntVar(&o.churnRate, "churn-rate", 10, "spec updates per second")
	fs.StringVar(&o.out, "out", "", "also write the report as Markdown to this file")
	fs.IntVar(&o.concurrency, "max-concurrent-reconciles", 4, "the manager's setting, as --max-concurrent-reconciles")
	fs.Float64Var(&o.qps, "kube-api-qps", 50, "the manager's setting, as --kube-api-qps")
	fs.IntVar(&o.burst, "kube-api-burst", 100, "the manager's setting, as --kube-api-burst")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the benchmark process, manager included, to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile, taken when the largest scale has converged, to this file")
	fs.BoolVar(&o.live, "live", true, "measure live health: a real Prometheus evaluating the operator's rules and the peer's (Sloth, bin/sloth), an exporter of synthetic probe results, the manager with --prometheus-url")
	fs.BoolVar(&o.onlyLive, "only-live", false, "run only the cold converge and the live-health phase; the other figures in the output file are kept")
	fs.DurationVar(&o.liveSteady, "live-steady", 5*time.Minute, "healthy live steady-state window, over which writes, queries and rule costs are measured")
	fs.DurationVar(&o.healthInterval, "health-interval", 30*time.Second, "the manager's --health-interval in the live phase")
	fs.DurationVar(&o.promTimeout, "prometheus-timeout", 30*time.Second, "the manager's --prometheus-timeout in the live phase: long, so that a slow cycle is measured rather than cut off")
	fs.IntVar(&o.peerSLOs, "peer-slos", 1000, "at most this many touchpoints, spread over the scale, get the peer's rules as well")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, s := range strings.Split(*scales, ",") {
		var sc scale
		if _, err := fmt.Sscanf(strings.TrimSpace(s), "%dx%d", &sc.maps, &sc.touchpoints); err != nil || sc.maps < 1 || sc.touchpoints < 1 {
			return o, fmt.Errorf("--scales: %q is not MAPSxTOUCHPOINTS", s)
		}
		o.scales = append(o.scales, sc)
	}
	if o.onlyLive {
		o.live = true
	}
	return o, nil
}

func run(ctx context.Context, opts options) (*report, error) {
	r := &report{cpus: runtime.NumCPU(), goVersion: runtime.Version(), date: time.Now().UTC().Format("2006-01-02")}
	for i, sc := range opts.scales {
		steady := opts.steady
		if i == len(opts.scales)-1 {
			steady = opts.steadyAtLargest
		}
		fmt.Fprintf(os.Stderr, "== %s: %d maps, %d monitors\n", sc, sc.maps, sc.monitors())
		res, err := measureScale(ctx, opts, sc, steady)
		if err != nil {
			return nil, fmt.Errorf("scale %s: %w", sc, err)
		}
		r.results = append(r.results, res)
	}
	return r, nil
}

func writeReport(path string, sections map[section]string) error {
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(data)
	for _, s := range []section{mainSection, liveSection} {
		if table, ok := sections[s]; ok {
			doc = spliceReport(doc, s, table)
		}
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close() // the start error is the one to report
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "cpu profile %s: %v\n", path, err)
		}
	}, nil
}

// writeHeapProfile overwrites path, so after a run it holds the profile of
// the last, largest scale.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		_ = f.Close() // the write error is the one to report
		return err
	}
	return f.Close()
}
