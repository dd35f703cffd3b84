package render

import (
	"errors"
	"fmt"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/journeymap/journey-operator/internal/journey"
)

// Validate checks what the apiserver's schema cannot: that the collector
// will accept the monitor's probe (regular expressions, captures used
// before they are taken) and that every rule generated for it is valid
// PromQL (a broken metric SLI query). The error says what to fix in the
// monitor's spec.
func Validate(b journey.TouchpointBinding) error {
	var errs []error
	if b.Monitor.Spec.Probe != nil {
		config := ProbeConfig(Collector{Map: b.Map, Probed: []journey.TouchpointBinding{b}})
		if err := config.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("spec.probe: %w", err))
		}
	}
	groups, err := MonitorRuleGroups(b)
	if err != nil {
		errs = append(errs, err)
	}
	promql := parser.NewParser(parser.Options{})
	for _, g := range groups {
		for _, r := range g.Rules {
			if _, err := promql.ParseExpr(r.Expr.String()); err != nil {
				errs = append(errs, fmt.Errorf("spec.metric: the generated rule %s%s is not valid PromQL: %w", r.Record, r.Alert, err))
				break
			}
		}
	}
	return errors.Join(errs...)
}
