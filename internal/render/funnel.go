package render

import (
	"errors"
	"fmt"
	"strconv"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/util/intstr"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/segment"
	"github.com/journeymap/journey-operator/internal/series"
)

// Funnel settings.
const (
	// DefaultMinRate is the entrant rate per second of the earlier stage
	// below which a conversion is not judged, when the KPI sets none: six
	// customers a minute, 30 in the short window, enough that halving the
	// conversion is not chance.
	DefaultMinRate = "0.1"
	// conversionDropFraction: a conversion below this share of its
	// baseline a week earlier is a drop.
	conversionDropFraction = 0.5
	// conversionBaselineOffset is how far back the baseline is: the same
	// hour and weekday, so that daily and weekly rhythms cancel out.
	conversionBaselineOffset = "1w"
	// DefaultDropFor is how long a conversion must stay dropped before
	// JourneyConversionDrop fires, when the KPI sets no dropFor.
	DefaultDropFor = "10m"
)

// ValidateFunnel checks what the apiserver's schema cannot about a map's
// funnel: that each KPI query is valid PromQL whose every range is the
// window placeholder, and that the persona's segment narrows it (persona
// is nil while unknown). kubectl journey lint reports the error; the
// operator meets the same one building the roll-up rules.
func ValidateFunnel(journeyMap *cxv1alpha1.JourneyMap, persona *cxv1alpha1.Persona) error {
	_, err := funnelRules(journeyMap, persona, "")
	return err
}

// funnelStage is a stage with a KPI query, parsed and narrowed.
type funnelStage struct {
	stage *cxv1alpha1.Stage
	query windowQuery
}

// funnelRules record, for the stages whose KPI has a query, the rate of
// entrants over the short and the long funnel window; for each stage whose
// previous stage has a query too, the conversion from it over both
// windows and JourneyConversionDrop; and the conversion from the first
// measured stage to the last. The queries are narrowed to the persona's
// segment. Entrants come first in the group: Prometheus evaluates a
// group's rules in order, so the conversions read the entrants of the same
// evaluation.
func funnelRules(journeyMap *cxv1alpha1.JourneyMap, persona *cxv1alpha1.Persona, sel string) ([]monitoringv1.Rule, error) {
	matchers, err := personaSegment(persona)
	if err != nil {
		return nil, err
	}
	var stages []*funnelStage // one per map stage; nil without a query
	var errs []error
	for i := range journeyMap.Spec.Stages {
		stage := &journeyMap.Spec.Stages[i]
		if stage.KPI == nil || stage.KPI.Query == "" {
			stages = append(stages, nil)
			continue
		}
		q, err := parseSegmentedQuery(fmt.Sprintf("spec.stages[%d].kpi.query", i), stage.KPI.Query, matchers)
		if err != nil {
			errs = append(errs, err)
		}
		stages = append(stages, &funnelStage{stage: stage, query: q})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	windows := []string{series.FunnelShortWindow, series.FunnelLongWindow}
	var entrants, conversions []monitoringv1.Rule
	var first, last *funnelStage
	for i, s := range stages {
		if s == nil {
			continue
		}
		if first == nil {
			first = s
		}
		last = s
		for _, w := range windows {
			q, err := s.query.at(w)
			if err != nil {
				return nil, err
			}
			entrants = append(entrants, monitoringv1.Rule{
				Record: series.StageEntrants + w,
				Expr:   intstr.FromString(summed(s.query.expr, q)),
				Labels: funnelLabels(journeyMap, map[string]string{"stage": s.stage.Name}),
			})
		}
		if i == 0 || stages[i-1] == nil {
			continue
		}
		from := stages[i-1]
		for _, w := range windows {
			conversions = append(conversions, monitoringv1.Rule{
				Record: series.StageConversion + w,
				Expr:   intstr.FromString(conversionExpr(sel, from.stage.Name, s.stage.Name, w)),
				Labels: funnelLabels(journeyMap, map[string]string{"stage": s.stage.Name, "from_stage": from.stage.Name}),
			})
		}
		drop, err := conversionDropRules(journeyMap, from.stage, s.stage, sel)
		if err != nil {
			return nil, err
		}
		conversions = append(conversions, drop...)
	}
	if first != last {
		for _, w := range windows {
			conversions = append(conversions, monitoringv1.Rule{
				Record: series.JourneyConversion + w,
				Expr:   intstr.FromString(conversionExpr(sel, first.stage.Name, last.stage.Name, w)),
				Labels: funnelLabels(journeyMap, map[string]string{"from_stage": first.stage.Name, "to_stage": last.stage.Name}),
			})
		}
	}
	return append(entrants, conversions...), nil
}

// conversionExpr divides the entrants of stage to by those of stage from
// over a window. A window without entrants in from has no conversion (not
// NaN, not +Inf): "> 0" drops the divisor. A stage nobody has reached
// yet, whose counter does not exist, converts 0, not nothing. The rule's
// labels name both stages, so the result's own labels do not matter.
func conversionExpr(sel, from, to, window string) string {
	entrants := func(stage string) string {
		return fmt.Sprintf("%s%s{%s, stage=%q}", series.StageEntrants, window, sel, stage)
	}
	return fmt.Sprintf("(%s or on (namespace, journey) 0 * %s) / on (namespace, journey) (%s > 0)",
		entrants(to), entrants(from), entrants(from))
}

// conversionDropRules record the baseline of the conversion into a stage
// (the long-window conversion a week earlier) and, while the conversion
// has dropped, the short-window conversion: below conversionDropFraction
// of the baseline or below the KPI's floor, while the earlier stage's
// entrant rate is at least the KPI's minRate. JourneyConversionDrop fires
// when the drop lasts the KPI's dropFor (DefaultDropFor). In the first week there is no
// baseline: only the floor can fire. The short window lets the alert
// resolve within minutes of recovery; the long one keeps last week's
// quirks out of the baseline.
func conversionDropRules(journeyMap *cxv1alpha1.JourneyMap, from, to *cxv1alpha1.Stage, sel string) ([]monitoringv1.Rule, error) {
	minRate := DefaultMinRate
	if to.KPI.MinRate != "" {
		minRate = to.KPI.MinRate
	}
	if _, err := strconv.ParseFloat(minRate, 64); err != nil {
		return nil, fmt.Errorf("stage %s: kpi.minRate %q is not a number", to.Name, minRate)
	}
	dropFor := DefaultDropFor
	if to.KPI.DropFor != "" {
		dropFor = to.KPI.DropFor
	}
	if _, err := model.ParseDuration(dropFor); err != nil {
		return nil, fmt.Errorf("stage %s: kpi.dropFor %q is not a duration such as 10m", to.Name, dropFor)
	}
	stageSel := fmt.Sprintf("{%s, stage=%q}", sel, to.Name)
	conversion := series.StageConversion + series.FunnelShortWindow + stageSel
	below := fmt.Sprintf("%s < %s * %s%s", conversion, formatFloat(conversionDropFraction), series.StageConversionBaseline, stageSel)
	floorText := ""
	if to.KPI.Floor != "" {
		floor, err := strconv.ParseFloat(to.KPI.Floor, 64)
		if err != nil || floor <= 0 || floor > 1 {
			return nil, fmt.Errorf("stage %s: kpi.floor %q is not a fraction between 0 and 1", to.Name, to.KPI.Floor)
		}
		below = fmt.Sprintf("%s or %s < %s", below, conversion, to.KPI.Floor)
		floorText = fmt.Sprintf(", or below the floor of %s%%", formatFloat(floor*100))
	}
	dropped := fmt.Sprintf("(%s) and on (namespace, journey) %s%s{%s, stage=%q} >= %s",
		below, series.StageEntrants, series.FunnelShortWindow, sel, from.Name, minRate)
	labels := funnelLabels(journeyMap, map[string]string{"stage": to.Name, "from_stage": from.Name})

	fromName, toName := templateText(displayOr(from.DisplayName, from.Name)), templateText(displayOr(to.DisplayName, to.Name))
	mapName := templateText(journeyMap.Name)
	impact := fmt.Sprintf("Fewer customers of persona %s who reach \"%s\" go on to \"%s\" in journey %s/%s",
		templateText(journeyMap.Spec.PersonaRef.Name), fromName, toName, templateText(journeyMap.Namespace), mapName)
	if to.CustomerGoal != "" {
		impact += "; customers here are trying to: " + templateText(to.CustomerGoal)
	}
	team := journeyMap.Spec.Owner
	if team == "" {
		team = journey.UnownedTeam
	}
	return []monitoringv1.Rule{{
		Record: series.StageConversionBaseline,
		Expr:   intstr.FromString(fmt.Sprintf("%s%s%s offset %s", series.StageConversion, series.FunnelLongWindow, stageSel, conversionBaselineOffset)),
		Labels: labels,
	}, {
		Record: series.StageConversionDropped,
		Expr:   intstr.FromString(dropped),
		Labels: labels,
	}, {
		Alert: series.ConversionDropAlert,
		Expr:  intstr.FromString(series.StageConversionDropped + stageSel),
		For:   ptrDuration(dropFor),
		Labels: templateLabels(map[string]string{
			"namespace":  journeyMap.Namespace,
			"journey":    journeyMap.Name,
			"stage":      to.Name,
			"from_stage": from.Name,
			"persona":    journeyMap.Spec.PersonaRef.Name,
			"team":       team,
			"severity":   journey.DefaultTicketSeverity,
		}),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Journey %s: only {{ $value | humanizePercentage }} of customers go on from %s to %s", mapName, fromName, toName),
			"description": fmt.Sprintf("The conversion over %s fell below %s%% of the %s conversion a week earlier%s, while %s had at least %s entrants per second. %s.",
				series.FunnelShortWindow, formatFloat(conversionDropFraction*100), series.FunnelLongWindow, floorText, fromName, minRate, impact),
			"customer_impact": impact + ".",
			"runbook_url":     runbookURL(series.ConversionDropAlert),
		},
	}}, nil
}

// summed is the printed query q of expr as one series, the rule's labels
// then naming it: a plain sum() stays as written, anything else is
// summed.
func summed(expr parser.Expr, q string) string {
	if agg, ok := expr.(*parser.AggregateExpr); ok && agg.Op == parser.SUM && len(agg.Grouping) == 0 && !agg.Without {
		return q
	}
	return fmt.Sprintf("sum(%s)", q)
}

func funnelLabels(journeyMap *cxv1alpha1.JourneyMap, extra map[string]string) map[string]string {
	labels := map[string]string{"namespace": journeyMap.Namespace, "journey": journeyMap.Name, "persona": journeyMap.Spec.PersonaRef.Name}
	for k, v := range extra {
		labels[k] = v
	}
	return labels
}

// personaSegment is the segment of a persona as label matchers; none for
// a persona that is unknown or declares no segment.
func personaSegment(persona *cxv1alpha1.Persona) ([]*labels.Matcher, error) {
	if persona == nil {
		return nil, nil
	}
	matchers, err := segment.Matchers(persona.Spec.Segment)
	if err != nil {
		return nil, fmt.Errorf("persona %s: %w", persona.Name, err)
	}
	return matchers, nil
}

// parseSegmentedQuery parses a query with the window placeholder, as
// metric SLIs are parsed, and narrows it to the segment. The placeholder
// is a parseable range by then, so the rewrite works on the parsed query.
func parseSegmentedQuery(field, query string, matchers []*labels.Matcher) (windowQuery, error) {
	q, err := parseWindowQuery(field, query)
	if err != nil {
		return windowQuery{}, err
	}
	if err := segment.Narrow(q.expr, matchers); err != nil {
		return windowQuery{}, fmt.Errorf("%s: narrowing to the persona's segment: %w", field, err)
	}
	return q, nil
}
