// Package mapview draws a JourneyMap the way journey-mapping practice
// draws one: the persona on top, the stages as columns in the order the
// persona walks them, and lanes across them for the customer's goal,
// actions, thoughts and questions, the touchpoints (front and back stage
// for a service blueprint), the emotion curve, pain points, opportunities
// and the stage's KPI. Every touchpoint is a card showing its live health
// from the TouchpointMonitor in charge of it.
//
// The drawing is a pure function of the objects (Draw), an SVG that is
// complete by itself, and Page wraps it in a self-contained HTML page; all
// text goes through html/template, so whatever the objects' free text
// holds is shown, never run.
package mapview

import (
	"sort"
	"strconv"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
)

// Input is what one drawing shows.
type Input struct {
	// Map is the journey to draw; required.
	Map *cxv1alpha1.JourneyMap
	// Persona is the map's persona; nil when it does not exist.
	Persona *cxv1alpha1.Persona
	// Monitors may hold any monitors of the map's namespace: only those
	// naming the map count, and of two on one touchpoint the one the
	// operator puts in charge.
	Monitors []cxv1alpha1.TouchpointMonitor
	// Offline says the objects come from manifests, not from a cluster:
	// nothing is known about their health.
	Offline bool
}

// Unmonitored is the health class of a touchpoint no monitor watches.
const Unmonitored = "Unmonitored"

// healthLook is how a health is shown: never by colour alone, always with
// an icon and a word.
type healthLook struct {
	class, icon, word string
}

// HealthColour is the colour of each health on the map, by health (and
// Unmonitored); the browser tests read cards against it.
var HealthColour = map[string]string{
	string(cxv1alpha1.HealthHealthy):  "#1a7f37",
	string(cxv1alpha1.HealthDegraded): "#9a6700",
	string(cxv1alpha1.HealthCritical): "#cf222e",
	string(cxv1alpha1.HealthUnknown):  "#6e7781",
	Unmonitored:                       "#8c959f",
}

func lookOf(h string) healthLook {
	switch h {
	case string(cxv1alpha1.HealthHealthy):
		return healthLook{"h-ok", "✔", "Healthy"}
	case string(cxv1alpha1.HealthDegraded):
		return healthLook{"h-deg", "▲", "Degraded"}
	case string(cxv1alpha1.HealthCritical):
		return healthLook{"h-crit", "✖", "Critical"}
	case Unmonitored:
		return healthLook{"h-none", "○", "not monitored"}
	default:
		return healthLook{"h-unk", "?", "Unknown"}
	}
}

// mapTypeLabel names a map type as the seeds do.
func mapTypeLabel(t cxv1alpha1.MapType) string {
	switch t {
	case cxv1alpha1.MapTypeFutureState:
		return "Future state map"
	case cxv1alpha1.MapTypeDayInTheLife:
		return "Day-in-the-life map"
	case cxv1alpha1.MapTypeServiceBlueprint:
		return "Service blueprint"
	default:
		return "Current state map"
	}
}

// tpState is what the drawing knows about one touchpoint.
type tpState struct {
	stage      *cxv1alpha1.Stage
	touchpoint *cxv1alpha1.Touchpoint
	monitor    *cxv1alpha1.TouchpointMonitor
	objective  string
}

// health is the touchpoint's health class: Unmonitored without a monitor.
func (t tpState) health() string {
	switch {
	case t.monitor == nil:
		return Unmonitored
	case t.monitor.Status.Health == "":
		return string(cxv1alpha1.HealthUnknown)
	}
	return string(t.monitor.Status.Health)
}

// orphan is a monitor of the map that watches nothing on it.
type orphan struct {
	monitor, touchpoint, why string
}

// resolve binds the map's touchpoints to the monitors in charge of them,
// and lists the monitors that are not.
func resolve(in Input) (map[string]tpState, []orphan) {
	jm := in.Map
	var mine []*cxv1alpha1.TouchpointMonitor
	for i := range in.Monitors {
		m := &in.Monitors[i]
		if m.Spec.JourneyMapRef.Name == jm.Name && (m.Namespace == jm.Namespace || m.Namespace == "") {
			mine = append(mine, m)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].Name < mine[j].Name })
	owners := journey.MonitorOwners(mine)
	states := map[string]tpState{}
	for i := range jm.Spec.Stages {
		stage := &jm.Spec.Stages[i]
		for j := range stage.Touchpoints {
			states[stage.Touchpoints[j].Name] = tpState{stage: stage, touchpoint: &stage.Touchpoints[j]}
		}
	}
	var orphans []orphan
	for _, m := range mine {
		st, ok := states[m.Spec.Touchpoint]
		switch {
		case !ok:
			orphans = append(orphans, orphan{m.Name, m.Spec.Touchpoint, "the map has no such touchpoint"})
		case owners[m.Spec.Touchpoint] != m.Name:
			orphans = append(orphans, orphan{m.Name, m.Spec.Touchpoint, "another monitor is in charge of it: " + owners[m.Spec.Touchpoint]})
		default:
			st.monitor = m
			b := journey.TouchpointBinding{Monitor: m, Map: jm, Stage: st.stage, Touchpoint: st.touchpoint, Persona: in.Persona}
			if ratio, err := b.Availability(); err == nil {
				st.objective = strconv.FormatFloat(100*ratio, 'f', -1, 64) + "%"
			}
			states[m.Spec.Touchpoint] = st
		}
	}
	return states, orphans
}

// cardLines are the lines of a touchpoint's card after its name, each with
// its class, and the health line's index.
func cardLines(t tpState, offline bool) []cardLine {
	tp := t.touchpoint
	look := lookOf(t.health())
	var lines []cardLine
	meta := []string{string(tp.Channel)}
	if tp.Owner != "" {
		meta = append(meta, tp.Owner)
	}
	if tp.Criticality != "" {
		meta = append(meta, strings.ToLower(string(tp.Criticality)))
	}
	lines = append(lines, cardLine{Class: "m", Text: strings.Join(meta, " · ")})
	if tp.MomentOfTruth {
		lines = append(lines, cardLine{Class: "mot", Text: "★ moment of truth"})
	}
	word := look.word
	if offline && t.monitor != nil {
		word = "monitored, offline"
	}
	lines = append(lines, cardLine{Class: "hw", Text: look.icon + " " + word})
	if t.monitor == nil {
		return lines
	}
	st := t.monitor.Status
	if sli := st.SLI; sli != nil && sli.Availability != "" {
		text := "avail " + sli.Availability + "%"
		if t.objective != "" {
			text += " / obj " + t.objective
		}
		lines = append(lines, cardLine{Class: "s", Text: text})
		if sli.ErrorBudgetRemaining != "" {
			lines = append(lines, cardLine{Class: "s", Text: "budget left " + sli.ErrorBudgetRemaining + "%"})
		}
	} else if t.objective != "" {
		lines = append(lines, cardLine{Class: "s", Text: "objective " + t.objective})
	}
	for i, a := range st.FiringAlerts {
		if i == 3 {
			lines = append(lines, cardLine{Class: "al", Text: "+" + count(len(st.FiringAlerts)-i, "more alert")})
			break
		}
		text := "⚠ " + a.Severity + " " + a.Name
		if a.Since != nil {
			text += " since " + a.Since.UTC().Format("Jan 2 15:04Z")
		}
		lines = append(lines, cardLine{Class: "al", Text: text})
	}
	if why := reason(t.monitor); why != "" {
		lines = append(lines, cardLine{Class: "why", Text: why})
	}
	return lines
}

// reason is why a monitor is not Ready, or what its telemetry says when
// its touchpoint is not healthy.
func reason(m *cxv1alpha1.TouchpointMonitor) string {
	if c := apimeta.FindStatusCondition(m.Status.Conditions, cxv1alpha1.ReadyCondition); c != nil && c.Status != "True" {
		return "not ready: " + c.Reason + ": " + c.Message
	}
	if m.Status.Health != cxv1alpha1.HealthHealthy {
		if c := apimeta.FindStatusCondition(m.Status.Conditions, cxv1alpha1.TelemetryBoundCondition); c != nil {
			return c.Message
		}
	}
	return ""
}
