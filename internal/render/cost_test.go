package render_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/series"
)

// ruleCost is what a touchpoint's rules cost Prometheus, counted from the
// rendered groups.
type ruleCost struct {
	rules int
	// rawRanges and recordRanges are range selectors evaluated per minute
	// (selectors in a group × evaluations of the group per minute), over
	// raw series (the collector's and the service's own) and over the
	// rules' own records.
	rawRanges, recordRanges float64
	// rawDays and recordDays are the days of samples those selectors span
	// per minute, per series they select: at one sample each 30s, 2880
	// samples a day.
	rawDays, recordDays float64
	// longestRaw is the longest range over raw series.
	longestRaw time.Duration
}

func costOf(t *testing.T, groups []monitoringv1.RuleGroup) ruleCost {
	t.Helper()
	var c ruleCost
	for _, g := range groups {
		interval, err := model.ParseDuration(string(*g.Interval))
		if err != nil {
			t.Fatalf("group %s: %v", g.Name, err)
		}
		perMinute := float64(time.Minute) / float64(interval)
		for _, r := range g.Rules {
			c.rules++
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr.String())
			if err != nil {
				t.Fatalf("%s%s: %v", r.Record, r.Alert, err)
			}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				m, ok := node.(*parser.MatrixSelector)
				if !ok {
					return nil
				}
				days := perMinute * m.Range.Hours() / 24
				if strings.HasPrefix(m.VectorSelector.(*parser.VectorSelector).Name, "journey:") {
					c.recordRanges += perMinute
					c.recordDays += days
					return nil
				}
				c.rawRanges += perMinute
				c.rawDays += days
				c.longestRaw = max(c.longestRaw, m.Range)
				return nil
			})
		}
	}
	return c
}

// TestRuleCost: no rule reads raw samples over a window of a day or more,
// and the long windows run in a group of their own at windows.LongInterval;
// the figures (rules per touchpoint, range selectors per minute) are logged
// for the README.
func TestRuleCost(t *testing.T) {
	maps, monitors := samples(t)
	var lines []string
	for _, m := range monitors {
		b := bind(t, maps, m)
		groups := monitorGroups(t, b)
		windows, err := journey.WindowsFor(journey.ObjectiveWindow(m))
		if err != nil {
			t.Fatal(err)
		}
		c := costOf(t, groups)
		if c.longestRaw >= journey.LongWindow {
			t.Errorf("%s: a rule reads raw samples over %s", m.Name, model.Duration(c.longestRaw))
		}
		if len(windows.Long) > 0 {
			long := groups[len(groups)-1]
			if len(groups) != 2 || string(*long.Interval) != windows.LongInterval || len(long.Rules) != len(windows.Long)*slis(m) {
				t.Errorf("%s: want the %d long windows of each SLI in a second group every %s, got %d groups", m.Name, len(windows.Long), windows.LongInterval, len(groups))
			}
			for _, r := range long.Rules {
				if !strings.HasPrefix(r.Expr.String(), "sum_over_time("+series.TouchpointFailures) {
					t.Errorf("%s: %s does not sum the 5m records: %s", m.Name, r.Record, r.Expr.String())
				}
			}
		}
		lines = append(lines, fmt.Sprintf("%-13s %4s %d SLI  %3d rules  range selectors/min: %5.1f raw spanning %5.1f days, %4.2f on records spanning %5.1f days",
			m.Name, journey.ObjectiveWindow(m), slis(m), c.rules, c.rawRanges, c.rawDays, c.recordRanges, c.recordDays))
	}
	sort.Strings(lines)
	t.Logf("per touchpoint:\n%s", strings.Join(lines, "\n"))
}

// slis counts a monitor's SLIs: its probe and its metric SLI.
func slis(m *cxv1alpha1.TouchpointMonitor) int {
	n := 0
	if m.Spec.Probe != nil {
		n++
	}
	if m.Spec.Metric != nil {
		n++
	}
	return n
}
