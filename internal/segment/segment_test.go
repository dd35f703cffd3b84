package segment_test

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/segment"
)

var enterpriseEU = []cxv1alpha1.SegmentMatcher{
	{Name: "plan", Operator: cxv1alpha1.MatchEqual, Value: "enterprise"},
	{Name: "region", Operator: cxv1alpha1.MatchRegexp, Value: "eu-.*"},
}

// TestNarrow runs the rewrite over queries as people write them for SLIs
// and KPIs; want is the parser's own printing of the narrowed query, so
// the test pins where the matchers land, not how the printer spaces them.
func TestNarrow(t *testing.T) {
	for _, tc := range []struct {
		name, query, want string
	}{
		{"plain counter rate",
			`sum(rate(shop_signups_total[5m]))`,
			`sum(rate(shop_signups_total{plan="enterprise",region=~"eu-.*"}[5m]))`},
		{"existing matchers on other labels",
			`sum(rate(http_requests_total{job="checkout", code=~"5.."}[5m]))`,
			`sum(rate(http_requests_total{code=~"5..",job="checkout",plan="enterprise",region=~"eu-.*"}[5m]))`},
		{"by and without",
			`sum by (route) (rate(a_total[5m])) / ignoring (route) group_left sum without (instance) (rate(b_total[5m]))`,
			`sum by (route) (rate(a_total{plan="enterprise",region=~"eu-.*"}[5m])) / ignoring (route) group_left () sum without (instance) (rate(b_total{plan="enterprise",region=~"eu-.*"}[5m]))`},
		{"binary operator with on",
			`rate(good_total[5m]) / on (job) rate(all_total[5m])`,
			`rate(good_total{plan="enterprise",region=~"eu-.*"}[5m]) / on (job) rate(all_total{plan="enterprise",region=~"eu-.*"}[5m])`},
		{"histogram quantile",
			`histogram_quantile(0.9, sum by (le) (rate(wait_seconds_bucket[5m])))`,
			`histogram_quantile(0.9, sum by (le) (rate(wait_seconds_bucket{plan="enterprise",region=~"eu-.*"}[5m])))`},
		{"subquery",
			`max_over_time(rate(x_total[1m])[30m:1m])`,
			`max_over_time(rate(x_total{plan="enterprise",region=~"eu-.*"}[1m])[30m:1m])`},
		{"offset and @",
			`increase(x_total[1h] offset 1w) - increase(x_total[1h] @ 1700000000)`,
			`increase(x_total{plan="enterprise",region=~"eu-.*"}[1h] offset 1w) - increase(x_total{plan="enterprise",region=~"eu-.*"}[1h] @ 1700000000.000)`},
		{"fallback without selector",
			`sum(rate(errors_total[5m])) or vector(0)`,
			`sum(rate(errors_total{plan="enterprise",region=~"eu-.*"}[5m])) or vector(0)`},
		{"selector by __name__ only",
			`{__name__=~"shop_.*_total"}`,
			`{__name__=~"shop_.*_total",plan="enterprise",region=~"eu-.*"}`},
		{"a label value that looks like a selector is left alone",
			`count(label_replace(up, "dst", "plan", "src", "(.*)"))`,
			`count(label_replace(up{plan="enterprise",region=~"eu-.*"}, "dst", "plan", "src", "(.*)"))`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			matchers, err := segment.Matchers(enterpriseEU)
			if err != nil {
				t.Fatal(err)
			}
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if err := segment.Narrow(expr, matchers); err != nil {
				t.Fatal(err)
			}
			if got := expr.String(); got != tc.want {
				t.Errorf("narrowed\n%s\nto\n%s\nwant\n%s", tc.query, got, tc.want)
			}
		})
	}
}

// TestNarrowConflict: a selector of the query that already constrains a
// label of the segment is reported with the selector, never merged, and
// nothing is reported for queries that do not touch the label.
func TestNarrowConflict(t *testing.T) {
	matchers, err := segment.Matchers(enterpriseEU)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ query, want string }{
		{`sum(rate(checkout_total{plan="free"}[5m]))`, `the selector checkout_total{plan="free"} already matches label plan; the segment's plan="enterprise" would be merged with it`},
		{`rate(a_total[5m]) / rate(b_total{region!="us"}[5m])`, `the selector b_total{region!="us"} already matches label region; the segment's region=~"eu-.*"`},
	} {
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		err = segment.Narrow(expr, matchers)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.query, err, tc.want)
		}
	}
}

// TestMatchersBadInput: each bad matcher is named by its place in the spec
// with what is wrong, all of them at once.
func TestMatchersBadInput(t *testing.T) {
	for _, tc := range []struct {
		name    string
		segment []cxv1alpha1.SegmentMatcher
		want    []string
	}{
		{"invalid label names", []cxv1alpha1.SegmentMatcher{
			{Name: "2plan", Operator: "=", Value: "x"},
			{Name: "plan-tier", Operator: "=", Value: "x"},
			{Name: "__name__", Operator: "=", Value: "x"},
		}, []string{`spec.segment[0]: "2plan" is not a valid label name`, `spec.segment[1]: "plan-tier" is not a valid label name`, `spec.segment[2]: "__name__" is not a valid label name`}},
		{"invalid regular expressions", []cxv1alpha1.SegmentMatcher{
			{Name: "plan", Operator: "=~", Value: "(enterprise"},
			{Name: "region", Operator: "!~", Value: "eu(?=west)"},
		}, []string{`spec.segment[0]: plan=~"(enterprise" is not a valid RE2 regular expression`, `spec.segment[1]: region!~"eu(?=west)" is not a valid RE2 regular expression`}},
		{"unknown operator", []cxv1alpha1.SegmentMatcher{{Name: "plan", Operator: "==", Value: "x"}},
			[]string{`spec.segment[0]: operator "==" is none of =, !=, =~, !~`}},
		{"a label twice", []cxv1alpha1.SegmentMatcher{{Name: "plan", Operator: "=", Value: "a"}, {Name: "plan", Operator: "!=", Value: "b"}},
			[]string{`spec.segment[1]: label plan is matched twice`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := segment.Matchers(tc.segment)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
