// Package segment narrows PromQL to a persona's customers: every series
// selector of a parsed query gains the persona's label matchers. It works
// on the parser's syntax tree, never on the query's text, so a matcher
// lands in every selector (inside aggregations, binary operations,
// subqueries and function calls alike) and nowhere else (not in a label
// value that happens to look like a selector).
package segment

import (
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

var matchTypes = map[cxv1alpha1.MatchOperator]labels.MatchType{
	cxv1alpha1.MatchEqual:     labels.MatchEqual,
	cxv1alpha1.MatchNotEqual:  labels.MatchNotEqual,
	cxv1alpha1.MatchRegexp:    labels.MatchRegexp,
	cxv1alpha1.MatchNotRegexp: labels.MatchNotRegexp,
}

// Matchers converts a persona's segment into label matchers, compiling
// its regular expressions. The error names every matcher at fault, by its
// place in spec.segment, so the persona's condition says what to fix.
func Matchers(segment []cxv1alpha1.SegmentMatcher) ([]*labels.Matcher, error) {
	var matchers []*labels.Matcher
	var errs []error
	seen := map[string]bool{}
	for i, s := range segment {
		field := fmt.Sprintf("spec.segment[%d]", i)
		// The schema checks these too; a segment from a client that skips
		// it (kubectl journey render on a file) must not reach a rule.
		switch {
		case !validLabelName(s.Name):
			errs = append(errs, fmt.Errorf("%s: %q is not a valid label name (letters, digits and _, not starting with a digit or __)", field, s.Name))
			continue
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("%s: label %s is matched twice; write one regular expression instead", field, s.Name))
			continue
		}
		seen[s.Name] = true
		t, ok := matchTypes[s.Operator]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: operator %q is none of =, !=, =~, !~", field, s.Operator))
			continue
		}
		m, err := labels.NewMatcher(t, s.Name, s.Value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s%s%q is not a valid RE2 regular expression: %w", field, s.Name, s.Operator, s.Value, err))
			continue
		}
		matchers = append(matchers, m)
	}
	return matchers, errors.Join(errs...)
}

// Narrow adds the matchers to every vector selector of expr, in place,
// including the selectors inside range selectors and subqueries. A
// selector that already constrains one of the matchers' labels is an
// error: merging plan="free" with a segment's plan="enterprise" would
// select nothing, and dropping either would watch other customers than
// the query or the persona says, so the user decides.
func Narrow(expr parser.Expr, matchers []*labels.Matcher) error {
	if len(matchers) == 0 {
		return nil
	}
	var errs []error
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for _, m := range matchers {
			for _, existing := range vs.LabelMatchers {
				if existing.Name == m.Name {
					errs = append(errs, fmt.Errorf("the selector %s already matches label %s; the segment's %s would be merged with it: remove one of them",
						vs.String(), m.Name, m.String()))
				}
			}
		}
		vs.LabelMatchers = append(vs.LabelMatchers, matchers...)
		return nil
	})
	return errors.Join(errs...)
}

// String prints a segment as PromQL matchers, e.g. {plan="enterprise"}.
func String(matchers []*labels.Matcher) string {
	s := make([]string, len(matchers))
	for i, m := range matchers {
		s[i] = m.String()
	}
	return "{" + strings.Join(s, ", ") + "}"
}

func validLabelName(name string) bool {
	if name == "" || strings.HasPrefix(name, "__") {
		return false
	}
	for i, r := range name {
		letter := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		digit := i > 0 && r >= '0' && r <= '9'
		if !letter && !digit {
			return false
		}
	}
	return true
}
