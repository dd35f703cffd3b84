package controller

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/segment"
)

func personaStatus(p *cxv1alpha1.Persona) any { return p.Status }

// Bounds of status lists, as the schema sets them: a status over them would
// be refused, and the reconcile would fail forever.
const (
	maxListedJourneyMaps = 1024
	maxFiringAlerts      = 64
)

// setJourneys lists the persona's maps (sorted by the caller) and rolls
// their health up.
func setJourneys(p *cxv1alpha1.Persona, maps []cxv1alpha1.JourneyMap) {
	names := make([]string, 0, len(maps))
	journeys := make([]health.Journey, 0, len(maps))
	for _, m := range maps {
		names = append(names, m.Name)
		journeys = append(journeys, health.Journey{Health: m.Status.Health, Score: m.Status.Score})
	}
	rolled := health.RollUpPersona(journeys)
	// The schema bounds the list; the count and the roll-up keep every map.
	p.Status.JourneyMaps = names[:min(len(names), maxListedJourneyMaps)]
	p.Status.JourneyMapCount = int32(len(names))
	p.Status.Health = rolled.Health
	p.Status.ExperienceScore = rolled.Score
	message := fmt.Sprintf("walks %d journey map(s)", len(names))
	if len(names) == 0 {
		message = "no journey map names this persona yet"
	}
	setCondition(&p.Status.Conditions, p.Generation, cxv1alpha1.JourneyMapsResolvedCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason, message)
}

// setSegment checks the persona's segment as the rules use it, so that a
// regular expression RE2 refuses shows on the persona, where it is fixed,
// and not only on every map and monitor whose rules it breaks.
func setSegment(p *cxv1alpha1.Persona) {
	matchers, err := segment.Matchers(p.Spec.Segment)
	switch {
	case err != nil:
		setCondition(&p.Status.Conditions, p.Generation, cxv1alpha1.SegmentValidCondition, metav1.ConditionFalse, cxv1alpha1.InvalidSpecReason, err.Error())
	case len(matchers) == 0:
		setCondition(&p.Status.Conditions, p.Generation, cxv1alpha1.SegmentValidCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason, "no segment: the queries of this persona's maps select every customer")
	default:
		setCondition(&p.Status.Conditions, p.Generation, cxv1alpha1.SegmentValidCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason,
			"the metric SLIs and KPI queries of this persona's maps are narrowed to "+segment.String(matchers))
	}
}

func summarizePersona(p *cxv1alpha1.Persona, reconcileErr error) {
	summarizeReady(&p.Status.Conditions, p.Generation, cxv1alpha1.SegmentValidCondition, cxv1alpha1.JourneyMapsResolvedCondition)
	if reconcileErr == nil || isTerminal(reconcileErr) {
		p.Status.ObservedGeneration = p.Generation
	}
}
