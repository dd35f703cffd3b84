package render

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/segment"
)

// windowSentinel stands in for {{.window}} while a query is parsed: a valid
// PromQL duration that nobody writes by hand (7777 days and change, in
// whole seconds so that the parser reads it exactly), so a parsed range of
// exactly this length is the placeholder's. The placeholder itself is not
// PromQL, and replacing it as text would also replace it where it is no
// range (in a label matcher's string, or as an offset) without a word.
const windowSentinel = "7777d7h7m7s"

// windowQuery is a metric SLI query parsed once, whose windowed ranges are
// set for each window the rules record. The ranges are set on the parsed
// expression, as Pyrra's objective replacer does, and the expression is
// printed by the parser, so the rule holds exactly the query the user
// wrote with its windows filled in.
type windowQuery struct {
	expr parser.Expr
	// ranges are the Range fields of the matrix selectors and subqueries
	// that use {{.window}}.
	ranges []*time.Duration
}

// parseWindowQuery parses the query of the spec field field (e.g.
// "spec.metric.errorsQuery"). Every range in it must be [{{.window}}],
// except the ranges inside a subquery over [{{.window}}], which are how
// the subquery samples (max_over_time(rate(x[5m])[{{.window}}:1m])). A
// fixed range anywhere else would measure the same period in every
// recorded window, from 5m to the objective's 28d, so the burn-rate tiers
// would silently judge something else than they say; it is refused rather
// than rewritten behind the user's back.
func parseWindowQuery(field, query string) (windowQuery, error) {
	sentinel, err := model.ParseDuration(windowSentinel)
	if err != nil {
		return windowQuery{}, fmt.Errorf("window placeholder %s: %w", windowSentinel, err)
	}
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(strings.ReplaceAll(query, windowPlaceholder, windowSentinel))
	if err != nil {
		return windowQuery{}, fmt.Errorf("%s is not valid PromQL: %w", field, err)
	}
	q := windowQuery{expr: expr}
	var errs []error
	parser.Inspect(expr, func(node parser.Node, path []parser.Node) error {
		r := rangeOf(node)
		switch {
		case r == nil:
		case *r == time.Duration(sentinel):
			q.ranges = append(q.ranges, r)
		case insideWindowedSubquery(path, sentinel):
		default:
			errs = append(errs, fmt.Errorf("%s: the range of %s is fixed at %s; write [%s] so that it spans each window the rules record",
				field, showPlaceholder(node.String()), model.Duration(*r), windowPlaceholder))
		}
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		return windowQuery{}, err
	}
	if len(q.ranges) == 0 {
		return windowQuery{}, fmt.Errorf("%s has no range [%s]: the SLI must count events over the window", field, windowPlaceholder)
	}
	// A placeholder that is no range (an offset, or text in a matcher) is
	// still in the printed expression after every range is set elsewhere.
	if printed, _ := q.at("1m"); strings.Contains(printed, sentinel.String()) {
		return windowQuery{}, fmt.Errorf("%s uses %s where it is no range: %s", field, windowPlaceholder, showPlaceholder(printed))
	}
	return q, nil
}

// rangeOf is the range of a matrix selector or subquery, nil for any
// other node.
func rangeOf(node parser.Node) *time.Duration {
	switch n := node.(type) {
	case *parser.MatrixSelector:
		return &n.Range
	case *parser.SubqueryExpr:
		return &n.Range
	default:
		return nil
	}
}

func insideWindowedSubquery(path []parser.Node, sentinel model.Duration) bool {
	for _, node := range path {
		if sq, ok := node.(*parser.SubqueryExpr); ok && sq.Range == time.Duration(sentinel) {
			return true
		}
	}
	return false
}

// showPlaceholder prints an expression as the user wrote it, with the
// placeholder in place of the sentinel.
func showPlaceholder(expr string) string {
	sentinel, _ := model.ParseDuration(windowSentinel)
	return strings.ReplaceAll(expr, sentinel.String(), windowPlaceholder)
}

// at is the query over a window such as "5m".
func (q windowQuery) at(window string) (string, error) {
	d, err := model.ParseDuration(window)
	if err != nil {
		return "", fmt.Errorf("window %q: %w", window, err)
	}
	for _, r := range q.ranges {
		*r = time.Duration(d)
	}
	return q.expr.String(), nil
}

// metricQueries are a metric SLI's queries, parsed: bad counts failed
// events (errorsQuery), or good successful ones (goodQuery) when errors
// is false.
type metricQueries struct {
	bad, total windowQuery
	errors     bool
	// additive is true when both queries add up over time through one
	// function (see counterFunc): their long windows are then computed
	// from their 5m records.
	additive bool
	// timeSlices is true for a threshold SLI: each evaluation is one
	// attempt, so every window is computed from the 5m records.
	timeSlices bool
}

// parseMetricQueries parses the queries of a metric SLI, narrowed to the
// persona's segment; nil for a monitor without one. The error names every
// spec field at fault.
func parseMetricQueries(metric *cxv1alpha1.MetricSLI, matchers []*labels.Matcher) (*metricQueries, error) {
	if metric == nil {
		return nil, nil
	}
	if metric.Threshold != nil {
		return parseThreshold(metric.Threshold, matchers)
	}
	q := &metricQueries{errors: metric.ErrorsQuery != ""}
	field, query := "spec.metric.goodQuery", metric.GoodQuery
	if q.errors {
		field, query = "spec.metric.errorsQuery", metric.ErrorsQuery
	}
	var badErr, totalErr error
	q.bad, badErr = parseSegmentedQuery(field, query, matchers)
	q.total, totalErr = parseSegmentedQuery("spec.metric.totalQuery", metric.TotalQuery, matchers)
	if err := errors.Join(badErr, totalErr); err != nil {
		return nil, err
	}
	badFunc, badOK := counterFunc(q.bad.expr)
	totalFunc, totalOK := counterFunc(q.total.expr)
	q.additive = badOK && totalOK && badFunc == totalFunc
	return q, nil
}

// parseThreshold turns a threshold SLI into event queries over time
// slices: while the level has a value it is attempted once per
// evaluation (1), and fails (1) while its worst series is on the wrong
// side of the threshold. Neither has a window: every window is a ratio
// of sums of the 5m records, the share of evaluations that failed.
func parseThreshold(threshold *cxv1alpha1.ThresholdSLI, matchers []*labels.Matcher) (*metricQueries, error) {
	const field = "spec.metric.threshold"
	worst, wrongSide, limit := "max", ">", threshold.Max
	if threshold.Max == "" {
		worst, wrongSide, limit = "min", "<", threshold.Min
	}
	if _, err := strconv.ParseFloat(limit, 64); err != nil {
		return nil, fmt.Errorf("%s: %q is not a number", field, limit)
	}
	if strings.Contains(threshold.Query, windowPlaceholder) {
		return nil, fmt.Errorf("%s.query reads a level as it is now and takes no %s placeholder", field, windowPlaceholder)
	}
	promql := parser.NewParser(parser.Options{})
	level, err := promql.ParseExpr(threshold.Query)
	if err != nil {
		return nil, fmt.Errorf("%s.query is not valid PromQL: %w", field, err)
	}
	if err := segment.Narrow(level, matchers); err != nil {
		return nil, fmt.Errorf("%s.query: narrowing to the persona's segment: %w", field, err)
	}
	q := &metricQueries{errors: true, timeSlices: true}
	for _, part := range []struct {
		into *windowQuery
		expr string
	}{
		{&q.bad, fmt.Sprintf("%s(%s) %s bool %s", worst, level, wrongSide, limit)},
		{&q.total, fmt.Sprintf("count(%s) > bool 0", level)},
	} {
		if part.into.expr, err = promql.ParseExpr(part.expr); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
	}
	return q, nil
}

// counterFunc is the function, rate or increase, through which a query
// reads all of its windowed ranges, when the query adds up over time: a
// sum, difference or constant multiple of rate() (or of increase()) over
// plain range selectors, optionally "or vector(0)". Such a query over a
// long window is, up to the window's edges, proportional to the sum of its
// values over 5m sampled across the window, the same proportion for the
// errors and the total query, so the ratio of those sums is the long
// window's ratio. A subquery, max_over_time, a quantile or a ratio inside
// the query, or rate() in one query and increase() in the other, do not
// add up: ok is false, and the long windows evaluate the query itself.
func counterFunc(expr parser.Expr) (fn string, ok bool) {
	switch n := expr.(type) {
	case *parser.ParenExpr:
		return counterFunc(n.Expr)
	case *parser.AggregateExpr:
		if n.Op == parser.SUM {
			return counterFunc(n.Expr)
		}
	case *parser.Call:
		if n.Func.Name != "rate" && n.Func.Name != "increase" {
			return "", false
		}
		// An @ modifier pins the range to one time, which does not move
		// with the 5m steps.
		if m, isMatrix := n.Args[0].(*parser.MatrixSelector); isMatrix {
			if v, isVector := m.VectorSelector.(*parser.VectorSelector); isVector && v.Timestamp == nil && v.StartOrEnd == 0 {
				return n.Func.Name, true
			}
		}
	case *parser.BinaryExpr:
		switch {
		case n.Op == parser.ADD || n.Op == parser.SUB:
			lhs, lok := counterFunc(n.LHS)
			rhs, rok := counterFunc(n.RHS)
			return lhs, lok && rok && lhs == rhs
		case n.Op == parser.LOR && isZeroVector(n.RHS):
			return counterFunc(n.LHS)
		case n.Op == parser.MUL && isNumber(n.LHS):
			return counterFunc(n.RHS)
		case (n.Op == parser.MUL || n.Op == parser.DIV) && isNumber(n.RHS):
			return counterFunc(n.LHS)
		}
	}
	return "", false
}

func isNumber(expr parser.Expr) bool {
	if p, ok := expr.(*parser.ParenExpr); ok {
		return isNumber(p.Expr)
	}
	_, ok := expr.(*parser.NumberLiteral)
	return ok
}

// isZeroVector is vector(0), the usual "no errors yet" fallback.
func isZeroVector(expr parser.Expr) bool {
	call, ok := expr.(*parser.Call)
	if !ok || call.Func.Name != "vector" {
		return false
	}
	n, ok := call.Args[0].(*parser.NumberLiteral)
	return ok && n.Val == 0
}
