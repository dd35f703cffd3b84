// Package journey is the operator's model of a monitored journey, free of
// object builders and of the API machinery: which touchpoint a monitor is
// bound to, who owns it, and the SLO arithmetic of its objectives (error
// budget, alert windows and burn-rate tiers). The rule and collector
// builders, the health evaluation and the controllers all read it, so they
// agree on every default.
package journey

import (
	"sort"
	"strings"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// Severities of alerts whose monitor names none.
const (
	DefaultPageSeverity   = "critical"
	DefaultTicketSeverity = "warning"
	// UnownedTeam routes alerts of touchpoints nobody claims.
	UnownedTeam = "unowned"
)

// TouchpointBinding is a TouchpointMonitor resolved against its JourneyMap:
// everything the rules and the collector need to know about one monitored
// touchpoint.
type TouchpointBinding struct {
	Monitor    *cxv1alpha1.TouchpointMonitor
	Map        *cxv1alpha1.JourneyMap
	Stage      *cxv1alpha1.Stage
	Touchpoint *cxv1alpha1.Touchpoint
	// Persona is the map's persona, whose expectations stand in for
	// objectives the monitor leaves out; nil while it is unknown (not
	// created yet, or not looked up), and then only the monitor's own
	// objectives count.
	Persona *cxv1alpha1.Persona
}

// Resolve finds a monitor's touchpoint in a map. ok is false when the map
// has no touchpoint of that name.
func Resolve(monitor *cxv1alpha1.TouchpointMonitor, journey *cxv1alpha1.JourneyMap) (TouchpointBinding, bool) {
	for i := range journey.Spec.Stages {
		stage := &journey.Spec.Stages[i]
		for j := range stage.Touchpoints {
			if stage.Touchpoints[j].Name == monitor.Spec.Touchpoint {
				return TouchpointBinding{Monitor: monitor, Map: journey, Stage: stage, Touchpoint: &stage.Touchpoints[j]}, true
			}
		}
	}
	return TouchpointBinding{}, false
}

// Team is who alerts of the touchpoint go to: the touchpoint's owner, else
// the map's owner.
func (b TouchpointBinding) Team() string {
	if b.Touchpoint.Owner != "" {
		return b.Touchpoint.Owner
	}
	return MapTeam(b.Map)
}

// MapTeam is who the journey-wide alerts of a map go to: the map's owner.
func MapTeam(m *cxv1alpha1.JourneyMap) string {
	if m.Spec.Owner != "" {
		return m.Spec.Owner
	}
	return UnownedTeam
}

// Criticality of the touchpoint, defaulted as the API documents.
func (b TouchpointBinding) Criticality() cxv1alpha1.Criticality {
	if b.Touchpoint.Criticality == "" {
		return cxv1alpha1.CriticalityMedium
	}
	return b.Touchpoint.Criticality
}

// PageSeverity is the severity label of the touchpoint's page alerts.
func (b TouchpointBinding) PageSeverity() string {
	if s := b.Monitor.Spec.Alerting.PageSeverity; s != "" {
		return s
	}
	return DefaultPageSeverity
}

// TicketSeverity is the severity label of the touchpoint's ticket alerts.
func (b TouchpointBinding) TicketSeverity() string {
	if s := b.Monitor.Spec.Alerting.TicketSeverity; s != "" {
		return s
	}
	return DefaultTicketSeverity
}

// Labels are the labels that place a series or alert in the journey.
func (b TouchpointBinding) Labels() map[string]string {
	return map[string]string{
		"namespace":  b.Monitor.Namespace,
		"journey":    b.Map.Name,
		"stage":      b.Stage.Name,
		"touchpoint": b.Touchpoint.Name,
		"persona":    b.Map.Spec.PersonaRef.Name,
	}
}

// TouchpointNames lists a map's touchpoints, sorted, for messages that tell
// the user which names would have worked.
func TouchpointNames(journeyMap *cxv1alpha1.JourneyMap) string {
	var names []string
	for _, s := range journeyMap.Spec.Stages {
		for _, t := range s.Touchpoints {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return "(none)"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
