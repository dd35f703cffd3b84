package main

import (
	"fmt"
	"strings"
	"time"
)

type report struct {
	cpus      int
	goVersion string
	date      string
	wall      time.Duration
	results   []*result
}

func (r *report) markdown(opts options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "`make bench` (`go run ./test/bench`), run on %s: %d CPUs, %s, kube-apiserver and etcd from `bin/` (envtest), the manager in-process with `--max-concurrent-reconciles=%d --kube-api-qps=%g --kube-api-burst=%d`. Wall time %s.\n\n",
		r.date, r.cpus, r.goVersion, opts.concurrency, opts.qps, opts.burst, r.wall.Round(time.Second))
	b.WriteString("Scale is maps × touchpoints per map; every touchpoint has a TouchpointMonitor with an HTTP probe. Children: one PrometheusRule per monitor, and per map a collector ConfigMap, Deployment, Service, ServiceMonitor and a roll-up PrometheusRule.\n\n")
	b.WriteString("| figure | goal |")
	for _, res := range r.results {
		fmt.Fprintf(&b, " %s |", res.scale)
	}
	b.WriteString("\n|---|---|")
	for range r.results {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	row := func(name, goal string, cell func(*result) string) {
		fmt.Fprintf(&b, "| %s | %s |", name, goal)
		for _, res := range r.results {
			fmt.Fprintf(&b, " %s |", cell(res))
		}
		b.WriteString("\n")
	}
	row("children", "", func(res *result) string { return fmt.Sprint(res.children) })
	row("1. raw create rate (children/s, 16 unthrottled clients)", "reference", func(res *result) string { return fmt.Sprintf("%.0f", res.rawRate) })
	row("1. raw apply rate (children/s, server-side apply, 16 unthrottled clients)", "reference", func(res *result) string { return fmt.Sprintf("%.0f", res.rawApplyRate) })
	row("2. cold converge (all children, all Ready)", "", func(res *result) string { return res.converge.Round(100 * time.Millisecond).String() })
	row("2. converge rate (children/s)", "", func(res *result) string { return fmt.Sprintf("%.0f", res.childRate) })
	row("2. converge rate / raw rate", "≥ 0.5", func(res *result) string { return fmt.Sprintf("%.2f", res.childRate/res.rawRate) })
	row("2. converge rate / raw apply rate", "", func(res *result) string { return fmt.Sprintf("%.2f", res.childRate/res.rawApplyRate) })
	row("2. manager writes per child while converging", "", func(res *result) string {
		return fmt.Sprintf("%.2f", float64(countWrites(res.convergeWrites))/float64(res.children))
	})
	row("3. writes in steady state (window, incl. resyncs)", "0", func(res *result) string {
		return fmt.Sprintf("%d in %s", countWrites(res.steadyWrites), res.steadyWindow)
	})
	row("4. churn: updates made", "10/s", func(res *result) string { return fmt.Sprint(res.churnUpdates) })
	row("4. churn: manager writes per update", "", func(res *result) string {
		return fmt.Sprintf("%.2f", float64(countWrites(res.churnWrites))/float64(max(1, res.churnUpdates)))
	})
	row("4. churn: generation → observedGeneration p50", "", func(res *result) string { return res.churnP50.Round(time.Millisecond).String() })
	row("4. churn: generation → observedGeneration p99", "≤ 1s", func(res *result) string { return res.churnP99.Round(time.Millisecond).String() })
	row("5. manager heap, idle", "", func(res *result) string { return mib(res.heapIdle) })
	row("5. manager heap, converged", "", func(res *result) string { return mib(res.heapConverged) })
	row("5. heap per touchpoint (converged − idle) / touchpoints", "≤ 8 KiB", func(res *result) string {
		return fmt.Sprintf("%.1f KiB", float64(res.heapConverged-min(res.heapIdle, res.heapConverged))/float64(res.scale.monitors())/1024)
	})
	row("6. drift: children deleted (1%)", "", func(res *result) string { return fmt.Sprint(res.driftDeleted) })
	row("6. drift: time to restore all", "", func(res *result) string { return res.driftRestore.Round(10 * time.Millisecond).String() })
	row("6. drift: writes per restored child", "1", func(res *result) string {
		return fmt.Sprintf("%.2f", float64(countWrites(res.driftWrites))/float64(max(1, res.driftDeleted)))
	})
	if len(r.results) >= 2 {
		small, large := r.results[len(r.results)-2], r.results[len(r.results)-1]
		if large.scale.monitors() > small.scale.monitors() {
			slope := (float64(large.heapConverged) - float64(small.heapConverged)) / float64(large.scale.monitors()-small.scale.monitors()) / 1024
			fmt.Fprintf(&b, "\nHeap slope between %s and %s: %.1f KiB per touchpoint (goal ≤ 8 KiB).\n", small.scale, large.scale, slope)
		}
	}
	for _, res := range r.results {
		fmt.Fprintf(&b, "\nManager writes while converging at %s: %s\n", res.scale, strings.Join(res.convergeWrites, ", "))
	}
	for _, res := range r.results {
		fmt.Fprintf(&b, "\nManager writes during churn at %s: %s\n", res.scale, strings.Join(res.churnWrites, ", "))
	}
	for _, res := range r.results {
		fmt.Fprintf(&b, "\nManager writes restoring deleted children at %s: %s\n", res.scale, strings.Join(res.driftWrites, ", "))
	}
	for _, res := range r.results {
		if len(res.steadyWrites) > 0 {
			fmt.Fprintf(&b, "\nSteady-state writes at %s: %s\n", res.scale, strings.Join(res.steadyWrites, ", "))
		}
	}
	return b.String()
}

func countWrites(lines []string) int {
	n := 0
	for _, l := range lines {
		var c int
		// A line that does not start with a count leaves c at 0: not a write.
		_, _ = fmt.Sscanf(l, "%d×", &c)
		n += c
	}
	return n
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// A report section replaces what lies between its markers in the output
// file, so the hand-written notes around it (tuning history, reading
// guide) stay, and a run of one phase keeps the other's figures.
type section struct{ begin, end, heading string }

const (
	beginMarker = "<!-- make bench: begin -->"
	endMarker   = "<!-- make bench: end -->"
)

var (
	mainSection = section{begin: beginMarker, end: endMarker, heading: "# Scale benchmark"}
	liveSection = section{begin: "<!-- make bench live: begin -->", end: "<!-- make bench live: end -->", heading: "## Live health"}
)

// spliceReport puts table between the section's markers in doc; without
// them, it starts the document, or appends the section to it.
func spliceReport(doc string, s section, table string) string {
	begin, end := strings.Index(doc, s.begin), strings.Index(doc, s.end)
	if begin < 0 || end < begin {
		fresh := s.heading + "\n\n" + s.begin + "\n" + table + s.end + "\n"
		if doc == "" {
			return fresh
		}
		return strings.TrimRight(doc, "\n") + "\n\n" + fresh
	}
	return doc[:begin+len(s.begin)] + "\n" + table + doc[end:]
}
