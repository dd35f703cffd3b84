package cli

import (
	"fmt"
	"sort"
	"strings"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/probeconfig"
	"github.com/journeymap/journey-operator/internal/render"
)

// plannedJourney is a journey map with what the operator would make of it:
// its persona and the bindings its collector and roll-up rules use.
type plannedJourney struct {
	obj     *object
	persona *cxv1alpha1.Persona
	// bindings are the active ones (controller.activeBindings): resolved,
	// in charge of their touchpoint and valid, sorted by monitor name.
	bindings []journey.TouchpointBinding
}

// planJourneys resolves the references between the objects as the
// operator does and records what does not hold: missing referents, two
// monitors on one touchpoint, monitors the operator's own checks reject,
// and moments of truth nobody monitors.
func (inv *inventory) planJourneys() []plannedJourney {
	owners := inv.monitorOwners()
	byMap := map[key][]journey.TouchpointBinding{}
	for _, m := range inv.monitors {
		monitor := m.monitor()
		if !m.valid || monitor == nil {
			continue
		}
		mapKey := key{m.namespace, monitor.Spec.JourneyMapRef.Name}
		mapObj := inv.maps[mapKey]
		if mapObj == nil {
			inv.add(m.diag(SeverityError, "spec.journeyMapRef.name", fmt.Sprintf("JourneyMap %q does not exist in namespace %q among the linted objects", mapKey.name, m.namespace)))
			continue
		}
		if !mapObj.valid || mapObj.journeyMap() == nil {
			continue // its own errors say why; the apiserver would not hold it
		}
		binding, ok := journey.Resolve(monitor, mapObj.journeyMap())
		if !ok {
			inv.add(m.diag(SeverityError, "spec.touchpoint", fmt.Sprintf("JourneyMap %q (%s) has no touchpoint %q; its touchpoints are: %s",
				mapKey.name, mapObj.where(), monitor.Spec.Touchpoint, journey.TouchpointNames(mapObj.journeyMap()))))
			continue
		}
		if owner := owners[mapKey][monitor.Spec.Touchpoint]; owner != m {
			inv.add(m.diag(SeverityError, "spec.touchpoint", fmt.Sprintf("touchpoint %q of JourneyMap %q is already monitored by %q (%s); delete one of the two monitors",
				monitor.Spec.Touchpoint, mapKey.name, owner.name, owner.where())))
			continue
		}
		binding.Persona = inv.validPersona(mapKey.namespace, mapObj.journeyMap())
		if !inv.checkBinding(m, binding) {
			continue
		}
		byMap[mapKey] = append(byMap[mapKey], binding)
	}

	var planned []plannedJourney
	for _, k := range sortedKeys(inv.maps) {
		mapObj := inv.maps[k]
		jm := mapObj.journeyMap()
		if !mapObj.valid || jm == nil {
			continue
		}
		persona := inv.validPersona(k.namespace, jm)
		if inv.personas[key{k.namespace, jm.Spec.PersonaRef.Name}] == nil {
			inv.add(mapObj.diag(SeverityError, "spec.personaRef.name", fmt.Sprintf("Persona %q does not exist in namespace %q among the linted objects", jm.Spec.PersonaRef.Name, k.namespace)))
		}
		if err := render.ValidateFunnel(jm, persona); err != nil {
			for _, e := range flatten(err) {
				fieldPath, message := splitField(e.Error())
				inv.add(mapObj.diag(SeverityError, fieldPath, message))
			}
			continue
		}
		bindings := byMap[k]
		sort.Slice(bindings, func(i, j int) bool { return bindings[i].Monitor.Name < bindings[j].Monitor.Name })
		inv.checkMomentsOfTruth(mapObj, bindings)
		planned = append(planned, plannedJourney{obj: mapObj, persona: persona, bindings: bindings})
	}
	sortDiagnostics(inv.diags)
	return planned
}

// checkBinding runs the operator's own checks on a bound monitor
// (render.Validate: the probe compiler, the PromQL parser) and warns of
// credentials written into its probe. It says whether the monitor is valid.
func (inv *inventory) checkBinding(m *object, b journey.TouchpointBinding) bool {
	err := render.Validate(b)
	for _, e := range flatten(err) {
		fieldPath, message := splitField(e.Error())
		inv.add(m.diag(SeverityError, fieldPath, message))
	}
	if b.Monitor.Spec.Probe != nil {
		for _, p := range render.ProbeConfig(render.Collector{Map: b.Map, Probed: []journey.TouchpointBinding{b}}).Probes {
			for _, w := range probeconfig.LiteralCredentials(p) {
				inv.add(m.diag(SeverityWarning, "spec.probe", "credential written as text: "+w+"; take it from a Secret"))
			}
		}
	}
	return err == nil
}

// checkMomentsOfTruth warns of moments of truth no monitor watches: the
// touchpoints the map says matter most would fail unnoticed.
func (inv *inventory) checkMomentsOfTruth(mapObj *object, bindings []journey.TouchpointBinding) {
	monitored := map[string]bool{}
	for _, b := range bindings {
		monitored[b.Touchpoint.Name] = true
	}
	for i, stage := range mapObj.journeyMap().Spec.Stages {
		for j, tp := range stage.Touchpoints {
			if tp.MomentOfTruth && !monitored[tp.Name] {
				inv.add(mapObj.diag(SeverityWarning, fmt.Sprintf("spec.stages[%d].touchpoints[%d]", i, j),
					fmt.Sprintf("moment of truth %q (stage %q) has no valid TouchpointMonitor", tp.Name, stage.Name)))
			}
		}
	}
}

// monitorOwners decides, per map and touchpoint, which monitor is in
// charge, by the operator's own rule (journey.MonitorOwners). Offline
// manifests rarely carry a creation time, so this is mostly by name.
func (inv *inventory) monitorOwners() map[key]map[string]*object {
	byMap := map[key][]*object{}
	for _, m := range inv.monitors {
		if m.valid && m.monitor() != nil {
			k := key{m.namespace, m.monitor().Spec.JourneyMapRef.Name}
			byMap[k] = append(byMap[k], m)
		}
	}
	owners := map[key]map[string]*object{}
	for k, objs := range byMap {
		monitors := make([]*cxv1alpha1.TouchpointMonitor, len(objs))
		byName := map[string]*object{}
		for i, o := range objs {
			monitors[i] = o.monitor()
			byName[o.monitor().Name] = o
		}
		owners[k] = map[string]*object{}
		for touchpoint, name := range journey.MonitorOwners(monitors) {
			owners[k][touchpoint] = byName[name]
		}
	}
	return owners
}

// validPersona is the map's persona when the input holds a valid one.
func (inv *inventory) validPersona(namespace string, jm *cxv1alpha1.JourneyMap) *cxv1alpha1.Persona {
	if p := inv.personas[key{namespace, jm.Spec.PersonaRef.Name}]; p != nil && p.valid {
		return p.persona()
	}
	return nil
}

func sortedKeys(m map[key]*object) []key {
	keys := make([]key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].namespace != keys[j].namespace {
			return keys[i].namespace < keys[j].namespace
		}
		return keys[i].name < keys[j].name
	})
	return keys
}

// flatten undoes errors.Join, so each problem is its own diagnostic.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// splitField separates the field path render.Validate's errors start with
// ("spec.probe: ...").
func splitField(s string) (string, string) {
	if fieldPath, message, ok := strings.Cut(s, ": "); ok && strings.HasPrefix(fieldPath, "spec") && !strings.Contains(fieldPath, " ") {
		return fieldPath, message
	}
	return "", s
}
