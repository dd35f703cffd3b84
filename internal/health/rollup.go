// Package health judges how touchpoints are doing and rolls their health up
// into stages, journeys and personas.
package health

import (
	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// Touchpoint is the health of one touchpoint of a map, as its monitor
// reports it.
type Touchpoint struct {
	Stage        string
	Name         string
	Criticality  cxv1alpha1.Criticality
	Health       cxv1alpha1.Health
	FiringAlerts int32
}

// Stage is the roll-up of one stage.
type Stage struct {
	Name         string
	Health       cxv1alpha1.Health
	Score        *int32
	FiringAlerts int32
}

// Journey is the roll-up of a whole map.
type Journey struct {
	Health       cxv1alpha1.Health
	Score        *int32
	WeakestStage string
	FiringAlerts int32
	Stages       []Stage
}

// weight makes critical touchpoints count more in scores.
func weight(c cxv1alpha1.Criticality) int {
	switch c {
	case cxv1alpha1.CriticalityLow:
		return 1
	case cxv1alpha1.CriticalityHigh:
		return 3
	case cxv1alpha1.CriticalityCritical:
		return 5
	default:
		return 2
	}
}

// score of a health; ok is false for Unknown, which does not count.
func score(h cxv1alpha1.Health) (int, bool) {
	switch h {
	case cxv1alpha1.HealthHealthy:
		return 100, true
	case cxv1alpha1.HealthDegraded:
		return 60, true
	case cxv1alpha1.HealthCritical:
		return 0, true
	default:
		return 0, false
	}
}

// severity orders known healths from best to worst; Unknown is 0.
func severity(h cxv1alpha1.Health) int {
	switch h {
	case cxv1alpha1.HealthHealthy:
		return 1
	case cxv1alpha1.HealthDegraded:
		return 2
	case cxv1alpha1.HealthCritical:
		return 3
	default:
		return 0
	}
}

// Worst is the worst known health of hs, Unknown when none is known.
func Worst(hs ...cxv1alpha1.Health) cxv1alpha1.Health {
	worst := cxv1alpha1.HealthUnknown
	for _, h := range hs {
		if severity(h) > severity(worst) {
			worst = h
		}
	}
	return worst
}

// effective is how much a touchpoint's health weighs on its stage: a
// failing low-criticality touchpoint degrades the stage, it does not make it
// critical.
func effective(t Touchpoint) cxv1alpha1.Health {
	if t.Health == cxv1alpha1.HealthCritical && weight(t.Criticality) < weight(cxv1alpha1.CriticalityHigh) {
		return cxv1alpha1.HealthDegraded
	}
	return t.Health
}

type weightedScore struct{ sum, weight int }

func (w *weightedScore) add(t Touchpoint) {
	if s, ok := score(t.Health); ok {
		w.sum += s * weight(t.Criticality)
		w.weight += weight(t.Criticality)
	}
}

func (w weightedScore) value() *int32 {
	if w.weight == 0 {
		return nil
	}
	v := int32((w.sum + w.weight/2) / w.weight)
	return &v
}

// RollUp rolls monitored touchpoints up into their stages and the journey.
// stages lists every stage of the map in order, monitored or not.
// losing are the stages whose conversion dropped: customers stop getting
// there even if every touchpoint answers, so such a stage is at least
// Degraded, monitored touchpoints or not.
func RollUp(stages []string, touchpoints []Touchpoint, losing map[string]bool) Journey {
	byStage := map[string][]Touchpoint{}
	for _, t := range touchpoints {
		byStage[t.Stage] = append(byStage[t.Stage], t)
	}
	var journey Journey
	var total weightedScore
	weakest := -1
	for _, name := range stages {
		stage := Stage{Name: name, Health: cxv1alpha1.HealthUnknown}
		var stageScore weightedScore
		for _, t := range byStage[name] {
			stage.Health = Worst(stage.Health, effective(t))
			stage.FiringAlerts += t.FiringAlerts
			stageScore.add(t)
			total.add(t)
		}
		if losing[name] {
			stage.Health = Worst(stage.Health, cxv1alpha1.HealthDegraded)
		}
		stage.Score = stageScore.value()
		journey.Stages = append(journey.Stages, stage)
		journey.FiringAlerts += stage.FiringAlerts
		if weaker(stage, journey.Stages, weakest) {
			weakest = len(journey.Stages) - 1
		}
	}
	journey.Score = total.value()
	healths := make([]cxv1alpha1.Health, 0, len(journey.Stages))
	for _, s := range journey.Stages {
		healths = append(healths, s.Health)
	}
	journey.Health = Worst(healths...)
	// A weakest stage is only named when it hurts: among healthy stages
	// there is none to point at.
	if weakest >= 0 && severity(journey.Stages[weakest].Health) > severity(cxv1alpha1.HealthHealthy) {
		journey.WeakestStage = journey.Stages[weakest].Name
	}
	return journey
}

// weaker says whether stage, a known one, is weaker than the weakest so far:
// worse health first, then a lower score; the earlier stage wins ties.
func weaker(stage Stage, stages []Stage, weakest int) bool {
	if stage.Health == cxv1alpha1.HealthUnknown {
		return false
	}
	if weakest < 0 {
		return true
	}
	current := stages[weakest]
	if severity(stage.Health) != severity(current.Health) {
		return severity(stage.Health) > severity(current.Health)
	}
	return stage.Score != nil && current.Score != nil && *stage.Score < *current.Score
}

// Persona is the roll-up of a persona's journeys.
type Persona struct {
	Health cxv1alpha1.Health
	Score  *int32
}

// RollUpPersona rolls a persona's journeys up: the worst health, and the
// mean of the known scores.
func RollUpPersona(journeys []Journey) Persona {
	p := Persona{Health: cxv1alpha1.HealthUnknown}
	sum, n := 0, 0
	for _, j := range journeys {
		p.Health = Worst(p.Health, j.Health)
		if j.Score != nil {
			sum += int(*j.Score)
			n++
		}
	}
	if n > 0 {
		v := int32((sum + n/2) / n)
		p.Score = &v
	}
	return p
}
