package main

import (
	"fmt"
	"strings"
	"time"
)

// liveMarkdown is the table of the live-health phase: every figure beside
// its goal, one column per scale.
func (r *report) liveMarkdown(opts options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "`make bench` live-health phase, run on %s: %d CPUs, %s. Prometheus from `bin/` scrapes the benchmark's exporter (the `journey_probe_*` series of every touchpoint, one run per %s) and evaluates the operator's converged rules and, beside them, Sloth's (`bin/sloth`, pinned in `hack/slo-peer`) for the same objective (99.5%% of probe runs over 28d, page and ticket burn-rate alerts) on up to %d touchpoints of the scale. The manager runs with `--health-interval=%s --prometheus-timeout=%s`. Wall time of the whole run %s.\n\n",
		r.date, r.cpus, r.goVersion, probeInterval, opts.peerSLOs, opts.healthInterval, opts.promTimeout, r.wall.Round(time.Second))
	b.WriteString("| figure | goal |")
	var lives []*result
	for _, res := range r.results {
		if res.live != nil {
			lives = append(lives, res)
			fmt.Fprintf(&b, " %s |", res.scale)
		}
	}
	b.WriteString("\n|---|---|")
	for range lives {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	row := func(name, goal string, cell func(*liveResult) string) {
		fmt.Fprintf(&b, "| %s | %s |", name, goal)
		for _, res := range lives {
			fmt.Fprintf(&b, " %s |", cell(res.live))
		}
		b.WriteString("\n")
	}
	row("touchpoints (monitors)", "", func(l *liveResult) string { return fmt.Sprint(l.monitors) })
	row("manager start → every touchpoint Healthy, availability shown", "", func(l *liveResult) string {
		if l.notHealthy > 0 {
			return fmt.Sprintf("not reached: %d not Healthy after 10m", l.notHealthy)
		}
		return l.healthy.Round(time.Second).String()
	})
	row("Prometheus queries per health cycle (counted by Prometheus)", "≤ 10", func(l *liveResult) string { return fmt.Sprintf("%.1f", l.queriesPerCycle) })
	row("… before the poller: queries per cycle (5–6 per monitor)", "", func(l *liveResult) string {
		return fmt.Sprintf("%d–%d", 5*l.monitors, 6*l.monitors)
	})
	row("health cycle, mean", "≤ 5s at 5,000", func(l *liveResult) string { return fmt.Sprintf("%.3fs", l.cycleSeconds) })
	row("health cycles in the steady window (failed)", "0 failed", func(l *liveResult) string { return fmt.Sprintf("%d (%d)", l.cycles, l.failedCycles) })
	row("manager writes in healthy live steady state", "0", func(l *liveResult) string {
		return fmt.Sprintf("%d in %s", countWrites(l.steadyWrites), l.steadyWindow)
	})
	row("touchpoints made to fail (1%)", "", func(l *liveResult) string { return fmt.Sprint(l.failing) })
	row("manager writes per failing touchpoint (monitor, map, persona)", "≤ 3", func(l *liveResult) string {
		return fmt.Sprintf("%.2f", float64(countWrites(l.faultWrites))/float64(max(1, l.failing)))
	})
	row("probe fails → Critical in status, median / slowest (health intervals)", "≤ 2", func(l *liveResult) string {
		if len(l.toCritical) == 0 {
			return "not reached"
		}
		cell := fmt.Sprintf("%.2f / %.2f", l.toCritical[len(l.toCritical)/2], l.toCritical[len(l.toCritical)-1])
		if l.notCritical > 0 {
			cell += fmt.Sprintf(" (%d not Critical within 5)", l.notCritical)
		}
		return cell
	})
	row("rule groups: ours / Sloth's", "", func(l *liveResult) string { return fmt.Sprintf("%d / %d", l.ours.groups, l.peer.groups) })
	row("SLOs: ours / Sloth's", "", func(l *liveResult) string { return fmt.Sprintf("%d / %d", l.ours.slos, l.peer.slos) })
	row("rule evaluation per round per SLO: ours / Sloth's (ms)", "", func(l *liveResult) string {
		return fmt.Sprintf("%.3f / %.3f", 1000*l.ours.perSLO(l.ours.perRound), 1000*l.peer.perSLO(l.peer.perRound))
	})
	row("… ratio ours ÷ Sloth's, per round", "≤ 1.0", func(l *liveResult) string {
		return ratio(l.ours.perSLO(l.ours.perRound), l.peer.perSLO(l.peer.perRound))
	})
	row("… ratio ours ÷ Sloth's, per minute (each group by its interval)", "≤ 1.0", func(l *liveResult) string {
		return ratio(l.ours.perSLO(l.ours.perMinute), l.peer.perSLO(l.peer.perMinute))
	})
	row("missed rule-group iterations: ours / Sloth's", "0", func(l *liveResult) string {
		return fmt.Sprintf("%.0f / %.0f", l.ours.missed, l.peer.missed)
	})
	for _, res := range lives {
		if len(res.live.steadyWrites) > 0 {
			fmt.Fprintf(&b, "\nLive steady-state writes at %s: %s\n", res.scale, strings.Join(res.live.steadyWrites, ", "))
		}
		fmt.Fprintf(&b, "\nWrites while 1%% of touchpoints start failing at %s: %s\n", res.scale, strings.Join(res.live.faultWrites, ", "))
	}
	return b.String()
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}
