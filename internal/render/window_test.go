package render_test

import (
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/series"
)

// TestMetricWindows sets {{.window}} in metric SLI queries through the
// PromQL parser: every range that uses it gets each recorded window, and a
// query that cannot be windowed is refused by Validate with the spec field
// named.
func TestMetricWindows(t *testing.T) {
	cases := []struct {
		name, errors, total string
		// want are parts of the 1h error-ratio rule; err is a part of the
		// error Validate must return.
		want []string
		err  string
		// additive: the queries add up over time, so the 30d window is the
		// ratio of the sums of the 5m rate records; else it evaluates the
		// queries over 30d.
		additive bool
	}{
		{
			name:   "ranges set by the parser",
			errors: `sum(rate(x{code=~"5.."}[{{.window}}]))`, total: `sum(rate(x[{{.window}}]))`,
			want:     []string{`rate(x{code=~"5.."}[1h])`, `sum(sum(rate(x[1h])))`},
			additive: true,
		},
		{
			name:   "subquery over the window keeps its inner rate",
			errors: `max_over_time(sum(rate(x{code="500"}[5m]))[{{.window}}:1m])`,
			total:  `sum(increase(x[{{.window}}]))`,
			want:   []string{`max_over_time(sum(rate(x{code="500"}[5m]))[1h:1m])`, `increase(x[1h])`},
		},
		{
			name:     "sums, differences and multiples of increase add up",
			errors:   `2 * sum(increase(x{code="500"}[{{.window}}])) + sum(increase(y[{{.window}}])) / 2 or vector(0)`,
			total:    `(sum(increase(x[{{.window}}])) - sum(increase(x{code="429"}[{{.window}}])))`,
			want:     []string{`increase(y[1h])`},
			additive: true,
		},
		{
			name:   "rate over increase does not add up",
			errors: `sum(rate(x{code="500"}[{{.window}}]))`, total: `sum(increase(x[{{.window}}]))`,
			want: []string{`increase(x[1h])`},
		},
		{
			name:   "a ratio inside a query does not add up",
			errors: `sum(rate(x{code="500"}[{{.window}}])) / sum(rate(x[{{.window}}])) * sum(rate(y[{{.window}}]))`,
			total:  `sum(rate(y[{{.window}}]))`,
			want:   []string{`rate(y[1h])`},
		},
		{
			name:   "a range pinned by @ does not move with the window",
			errors: `sum(rate(x{code="500"}[{{.window}}] @ 1700000000))`, total: `sum(rate(x[{{.window}}]))`,
			want: []string{`@ 1700000000`},
		},
		{
			name:   "max by touchpoint does not add up",
			errors: `max(rate(x{code="500"}[{{.window}}]))`, total: `sum(rate(x[{{.window}}]))`,
			want: []string{`max(rate(x{code="500"}[1h]))`},
		},
		{
			name:   "placeholder in a matcher string stays text",
			errors: `sum(rate(x{path="{{.window}}"}[{{.window}}]))`, total: `sum(rate(x[{{.window}}]))`,
			err: "spec.metric.errorsQuery uses {{.window}} where it is no range",
		},
		{
			name:   "fixed range",
			errors: `sum(rate(x{code="500"}[5m]))`, total: `sum(rate(x[{{.window}}]))`,
			err: `spec.metric.errorsQuery: the range of x{code="500"}[5m] is fixed at 5m; write [{{.window}}]`,
		},
		{
			name:   "fixed range next to a windowed one",
			errors: `sum(rate(x{code="500"}[{{.window}}]))`, total: `sum(rate(x[{{.window}}])) + sum(rate(y[10m]))`,
			err: "spec.metric.totalQuery: the range of y[10m] is fixed at 10m",
		},
		{
			name:   "fixed subquery range",
			errors: `max_over_time(rate(x[{{.window}}])[1h:])`, total: `sum(rate(x[{{.window}}]))`,
			err: "spec.metric.errorsQuery: the range of rate(x[{{.window}}])[1h:] is fixed at 1h",
		},
		{
			name:   "offset",
			errors: `sum(rate(x[{{.window}}] offset {{.window}}))`, total: `sum(rate(x[{{.window}}]))`,
			err: "spec.metric.errorsQuery uses {{.window}} where it is no range",
		},
		{
			name:   "no window at all",
			errors: `sum(x)`, total: `sum(rate(x[{{.window}}]))`,
			err: "spec.metric.errorsQuery has no range [{{.window}}]",
		},
		{
			name:   "not PromQL",
			errors: `sum(rate(x[{{.window}}])`, total: `sum(rate(x[{{.window}}]))`,
			err: "spec.metric.errorsQuery is not valid PromQL",
		},
	}
	maps, monitors := samples(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var monitor *cxv1alpha1.TouchpointMonitor
			for _, m := range monitors {
				if m.Name == "contacts-api" {
					monitor = m.DeepCopy()
				}
			}
			monitor.Spec.Metric = &cxv1alpha1.MetricSLI{ErrorsQuery: tc.errors, TotalQuery: tc.total}
			b := bind(t, maps, monitor)
			err := render.Validate(b)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Validate: %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			groups, err := render.MonitorRuleGroups(b)
			if err != nil {
				t.Fatal(err)
			}
			hour := recordedExpr(groups, series.TouchpointErrors+"1h")
			for _, want := range tc.want {
				if !strings.Contains(hour, want) {
					t.Errorf("the 1h rule %q lacks %q", hour, want)
				}
			}
			month := recordedExpr(groups, series.TouchpointErrors+"30d")
			fromRecords := "sum_over_time(" + series.TouchpointFailures + "{"
			if got := strings.HasPrefix(month, fromRecords); got != tc.additive {
				t.Errorf("the 30d rule %q: from the 5m records %t, want %t", month, got, tc.additive)
			}
			if !tc.additive && !strings.Contains(month, "[30d]") {
				t.Errorf("the 30d rule %q does not evaluate the queries over 30d", month)
			}
		})
	}
}

// recordedExpr is the expression of the metric SLI's record of a name, in
// any group.
func recordedExpr(groups []monitoringv1.RuleGroup, record string) string {
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Record == record && r.Labels["sli"] == series.SLIMetric {
				return r.Expr.String()
			}
		}
	}
	return ""
}
