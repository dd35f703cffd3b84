package cli

import (
	"math"
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
)

// journeyObjects are what `kubectl journey status NAME` reads: one map,
// its persona (nil when it does not exist) and the monitors of the map's
// namespace that name the map.
type journeyObjects struct {
	Map      *cxv1alpha1.JourneyMap
	Persona  *cxv1alpha1.Persona
	Monitors []*cxv1alpha1.TouchpointMonitor
}

// journeyView is the journey as status shows it, and as -o json writes it:
// the map's roll-up, its persona, its stages in spec order and, in each,
// its touchpoints with what their monitors report. Health and numbers are
// the operator's (status); which touchpoint is monitored, and by which
// monitor, is read from the objects as they are now.
type journeyView struct {
	journeySummary
	Goal         string      `json:"goal,omitempty"`
	SuccessRatio string      `json:"successRatio,omitempty"`
	Monitored    int         `json:"monitoredTouchpoints"`
	Touchpoints  int         `json:"totalTouchpoints"`
	Persona      personaView `json:"persona"`
	Stages       []stageView `json:"stages"`
	Strays       []strayView `json:"monitorsWithoutTouchpoint,omitempty"`
}

// journeySummary is what a map's own status says of the journey: the
// head of the tree, and most of a row of the list.
type journeySummary struct {
	Namespace    string            `json:"namespace"`
	Name         string            `json:"name"`
	Health       cxv1alpha1.Health `json:"health"`
	Score        *int32            `json:"score,omitempty"`
	WeakestStage string            `json:"weakestStage,omitempty"`
	FiringAlerts int32             `json:"firingAlerts"`
	// NotReady says why the map is not Ready; empty when it is.
	NotReady string `json:"notReady,omitempty"`
}

func summarize(m *cxv1alpha1.JourneyMap) journeySummary {
	return journeySummary{
		Namespace:    m.Namespace,
		Name:         m.Name,
		Health:       healthOrUnknown(m.Status.Health),
		Score:        m.Status.Score,
		WeakestStage: m.Status.WeakestStage,
		FiringAlerts: m.Status.FiringAlerts,
		NotReady:     notReady(m.Status.Conditions, m.Generation),
	}
}

// personaView is the persona walking the journey.
type personaView struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty"`
	// Found is false when the map's personaRef names no Persona.
	Found           bool              `json:"found"`
	Health          cxv1alpha1.Health `json:"health,omitempty"`
	ExperienceScore *int32            `json:"experienceScore,omitempty"`
	NotReady        string            `json:"notReady,omitempty"`
}

// stageView is one stage of the map.
type stageView struct {
	Name         string            `json:"name"`
	DisplayName  string            `json:"displayName,omitempty"`
	Health       cxv1alpha1.Health `json:"health"`
	Score        *int32            `json:"score,omitempty"`
	Monitored    int               `json:"monitoredTouchpoints"`
	FiringAlerts int32             `json:"firingAlerts"`
	Weakest      bool              `json:"weakest,omitempty"`
	Touchpoints  []touchpointView  `json:"touchpoints"`
}

// touchpointView is one touchpoint and, when it has one, the monitor in
// charge of it.
type touchpointView struct {
	Name          string                 `json:"name"`
	DisplayName   string                 `json:"displayName,omitempty"`
	Criticality   cxv1alpha1.Criticality `json:"criticality"`
	MomentOfTruth bool                   `json:"momentOfTruth,omitempty"`
	// Monitor is the TouchpointMonitor in charge; empty when unmonitored.
	Monitor string            `json:"monitor,omitempty"`
	Health  cxv1alpha1.Health `json:"health,omitempty"`
	// Objective is the availability objective in percent, the persona's
	// expectation standing in for a monitor without one, as the operator
	// reads it.
	Objective string `json:"objective,omitempty"`
	// ObjectiveError says why no objective applies.
	ObjectiveError   string                `json:"objectiveError,omitempty"`
	LatencyObjective string                `json:"latencyObjective,omitempty"`
	SLI              *cxv1alpha1.SLIStatus `json:"sli,omitempty"`
	Alerts           []alertView           `json:"firingAlerts,omitempty"`
	NotReady         string                `json:"notReady,omitempty"`
	// NoTelemetry says why Prometheus has no data, while it has none.
	NoTelemetry string `json:"noTelemetry,omitempty"`
	// OtherMonitors name the same touchpoint but are not in charge.
	OtherMonitors []string `json:"otherMonitors,omitempty"`
}

// alertView is one firing alert.
type alertView struct {
	Name     string       `json:"name"`
	Severity string       `json:"severity"`
	Since    *metav1.Time `json:"since,omitempty"`
}

// strayView is a monitor naming a touchpoint the map does not have.
type strayView struct {
	Monitor    string `json:"monitor"`
	Touchpoint string `json:"touchpoint"`
}

// buildJourneyView turns the objects into the view. It reads nothing else.
func buildJourneyView(objs journeyObjects) journeyView {
	m := objs.Map
	v := journeyView{
		journeySummary: summarize(m),
		Goal:           m.Spec.Goal,
		SuccessRatio:   m.Status.SuccessRatio,
		Persona:        buildPersonaView(m.Spec.PersonaRef.Name, objs.Persona),
		Stages:         []stageView{},
	}
	owners := journey.MonitorOwners(objs.Monitors)
	byName := map[string]*cxv1alpha1.TouchpointMonitor{}
	others := map[string][]string{}
	for _, mon := range objs.Monitors {
		byName[mon.Name] = mon
		if owners[mon.Spec.Touchpoint] != mon.Name {
			others[mon.Spec.Touchpoint] = append(others[mon.Spec.Touchpoint], mon.Name)
		}
	}
	stageStatus := map[string]cxv1alpha1.StageStatus{}
	for _, s := range m.Status.Stages {
		stageStatus[s.Name] = s
	}
	known := map[string]bool{}
	for i := range m.Spec.Stages {
		stage := &m.Spec.Stages[i]
		status := stageStatus[stage.Name]
		sv := stageView{
			Name:         stage.Name,
			DisplayName:  stage.DisplayName,
			Health:       healthOrUnknown(status.Health),
			Score:        status.Score,
			FiringAlerts: status.FiringAlerts,
			Weakest:      stage.Name == m.Status.WeakestStage,
			Touchpoints:  []touchpointView{},
		}
		for j := range stage.Touchpoints {
			tp := &stage.Touchpoints[j]
			known[tp.Name] = true
			binding := journey.TouchpointBinding{Map: m, Stage: stage, Touchpoint: tp, Persona: objs.Persona}
			tv := touchpointView{
				Name:          tp.Name,
				DisplayName:   tp.DisplayName,
				Criticality:   binding.Criticality(),
				MomentOfTruth: tp.MomentOfTruth,
				OtherMonitors: sorted(others[tp.Name]),
			}
			if mon := byName[owners[tp.Name]]; mon != nil {
				binding.Monitor = mon
				fillMonitor(&tv, binding)
				sv.Monitored++
			}
			sv.Touchpoints = append(sv.Touchpoints, tv)
		}
		v.Monitored += sv.Monitored
		v.Touchpoints += len(stage.Touchpoints)
		v.Stages = append(v.Stages, sv)
	}
	for _, mon := range objs.Monitors {
		if !known[mon.Spec.Touchpoint] {
			v.Strays = append(v.Strays, strayView{Monitor: mon.Name, Touchpoint: mon.Spec.Touchpoint})
		}
	}
	sort.Slice(v.Strays, func(i, j int) bool { return v.Strays[i].Monitor < v.Strays[j].Monitor })
	return v
}

func buildPersonaView(name string, p *cxv1alpha1.Persona) personaView {
	if p == nil {
		return personaView{Name: name}
	}
	return personaView{
		Name:            name,
		DisplayName:     p.Spec.DisplayName,
		Found:           true,
		Health:          healthOrUnknown(p.Status.Health),
		ExperienceScore: p.Status.ExperienceScore,
		NotReady:        notReady(p.Status.Conditions, p.Generation),
	}
}

// fillMonitor adds what the monitor in charge of a touchpoint reports.
func fillMonitor(tv *touchpointView, b journey.TouchpointBinding) {
	mon := b.Monitor
	tv.Monitor = mon.Name
	tv.Health = healthOrUnknown(mon.Status.Health)
	if ratio, err := b.Availability(); err != nil {
		tv.ObjectiveError = err.Error()
	} else {
		tv.Objective = percentText(ratio)
	}
	if l := b.Latency(); l != nil {
		tv.LatencyObjective = l.Percent + "% within " + l.Threshold.Duration.String()
	}
	if mon.Status.SLI != nil && *mon.Status.SLI != (cxv1alpha1.SLIStatus{}) {
		sli := *mon.Status.SLI
		tv.SLI = &sli
	}
	for _, a := range mon.Status.FiringAlerts {
		tv.Alerts = append(tv.Alerts, alertView{Name: a.Name, Severity: a.Severity, Since: a.Since})
	}
	tv.NotReady = notReady(mon.Status.Conditions, mon.Generation)
	if c := meta.FindStatusCondition(mon.Status.Conditions, cxv1alpha1.TelemetryBoundCondition); c != nil && c.Status == metav1.ConditionFalse {
		tv.NoTelemetry = reasonText(c)
	}
}

// notReady says why an object is not Ready, "" when it is. An object
// without a Ready condition, or whose Ready speaks of an older generation,
// has not been reconciled (yet): the operator may not be running.
func notReady(conditions []metav1.Condition, generation int64) string {
	ready := meta.FindStatusCondition(conditions, cxv1alpha1.ReadyCondition)
	switch {
	case ready == nil:
		return "not reconciled yet: no Ready condition (is journey-operator running?)"
	case ready.Status != metav1.ConditionTrue:
		return reasonText(ready)
	case ready.ObservedGeneration != 0 && ready.ObservedGeneration < generation:
		return "status is of generation " + strconv.FormatInt(ready.ObservedGeneration, 10) +
			", the spec is at " + strconv.FormatInt(generation, 10) + ": not reconciled yet"
	}
	return ""
}

func reasonText(c *metav1.Condition) string {
	if c.Message == "" {
		return c.Reason
	}
	return c.Reason + ": " + c.Message
}

// healthOrUnknown reads an unset health, as before the operator wrote
// any, as Unknown.
func healthOrUnknown(h cxv1alpha1.Health) cxv1alpha1.Health {
	if h == "" {
		return cxv1alpha1.HealthUnknown
	}
	return h
}

// percentText prints a ratio such as 0.995 as the percentage "99.5",
// without the float noise of the multiplication: objectives have at most
// five decimals.
func percentText(ratio float64) string {
	return strconv.FormatFloat(math.Round(ratio*1e7)/1e5, 'f', -1, 64)
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
