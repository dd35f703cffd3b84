package cli

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/render"
)

// renderOptions say which cluster the children are rendered for.
type renderOptions struct {
	// ruleConfigMaps renders for a cluster without the Prometheus
	// Operator: rules as ConfigMaps holding rule files, no ServiceMonitor,
	// scrape annotations on the collector Service.
	ruleConfigMaps bool
	// probeImage is the operator's --probe-image.
	probeImage string
}

// renderChildren builds the children the operator would apply for the
// planned journeys, with the operator's builders, in a stable order: per
// map its collector and roll-up rules, then its monitors' rules.
func renderChildren(planned []plannedJourney, opts renderOptions) ([]client.Object, error) {
	scheme := newScheme()
	var out []client.Object
	for _, p := range planned {
		jm := p.obj.journeyMap()
		collector := render.Collector{Map: jm, Image: opts.probeImage, ServiceMonitor: !opts.ruleConfigMaps}
		for _, b := range p.bindings {
			if b.Monitor.Spec.Probe != nil {
				collector.Probed = append(collector.Probed, b)
			}
		}
		children, _, leftOut, err := render.BuildCollector(collector, scheme)
		if err != nil {
			return nil, fmt.Errorf("JourneyMap %s: %w", jm.Name, err)
		}
		if len(leftOut) > 0 {
			return nil, fmt.Errorf("JourneyMap %s: the probes exceed the %d KiB one collector ConfigMap holds; the operator would leave out, largest first: %s",
				jm.Name, render.MaxCollectorConfig>>10, strings.Join(leftOut, ", "))
		}
		out = append(out, children...)
		sets, err := p.ruleSets()
		if err != nil {
			return nil, err
		}
		for _, rules := range sets {
			obj, err := rulesChild(rules, opts, scheme)
			if err != nil {
				return nil, fmt.Errorf("rules %s: %w", rules.Name, err)
			}
			out = append(out, obj)
		}
	}
	return out, nil
}

func rulesChild(rules render.RulesObject, opts renderOptions, scheme *runtime.Scheme) (client.Object, error) {
	if opts.ruleConfigMaps {
		return render.BuildRuleConfigMap(rules, scheme)
	}
	return render.BuildPrometheusRule(rules, scheme)
}

// writeObjects writes objects as a "---"-separated YAML stream. Owner
// references are left out: the offline owners have no UID, and a child
// applied with a made-up owner UID would be garbage-collected at once.
// So are the empty creationTimestamp and status the typed objects carry.
func writeObjects(objects []client.Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, obj := range objects {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
		unstructured.RemoveNestedField(u, "metadata", "ownerReferences")
		unstructured.RemoveNestedField(u, "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(u, "status")
		data, err := yaml.Marshal(u)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(data)
	}
	return buf.Bytes(), nil
}

// ruleFile is every rule group of the planned journeys as one Prometheus
// rule file. Group names must be unique within a file; they are per map
// and touchpoint, so only maps of one name in two namespaces collide.
func ruleFile(planned []plannedJourney) ([]byte, error) {
	var groups []monitoringv1.RuleGroup
	seen := map[string]string{}
	add := func(owner string, gs []monitoringv1.RuleGroup) error {
		for _, g := range gs {
			if other, dup := seen[g.Name]; dup {
				return fmt.Errorf("rule group %q of %s and of %s would share one rule file; render the namespaces separately", g.Name, owner, other)
			}
			seen[g.Name] = owner
			groups = append(groups, g)
		}
		return nil
	}
	for _, p := range planned {
		sets, err := p.ruleSets()
		if err != nil {
			return nil, err
		}
		for _, rules := range sets {
			if err := add(fmt.Sprintf("%s %s/%s", rules.Owner.GetObjectKind().GroupVersionKind().Kind, rules.Owner.GetNamespace(), rules.Owner.GetName()), rules.Groups); err != nil {
				return nil, err
			}
		}
	}
	return render.RuleFile(groups)
}

// ruleSets are the rule sets of a journey: its roll-up rules, then one
// per active monitor.
func (p plannedJourney) ruleSets() ([]render.RulesObject, error) {
	jm := p.obj.journeyMap()
	rules, err := render.JourneyRules(jm, p.persona, p.bindings)
	if err != nil {
		return nil, fmt.Errorf("JourneyMap %s: building the roll-up rules: %w", jm.Name, err)
	}
	sets := []render.RulesObject{rules}
	for _, b := range p.bindings {
		rules, err := render.MonitorRules(b)
		if err != nil {
			return nil, fmt.Errorf("TouchpointMonitor %s: building the rules: %w", b.Monitor.Name, err)
		}
		sets = append(sets, rules)
	}
	return sets, nil
}

// alertmanagerBlock is the alert routing of the planned journeys, one
// routing per namespace in name order, for a plain Alertmanager.
func alertmanagerBlock(planned []plannedJourney) ([]byte, error) {
	byNamespace := map[string][]render.RoutedJourney{}
	for _, p := range planned {
		jm := p.obj.journeyMap()
		byNamespace[jm.Namespace] = append(byNamespace[jm.Namespace], render.RoutedJourney{Map: jm, Monitored: p.bindings})
	}
	namespaces := make([]string, 0, len(byNamespace))
	for ns := range byNamespace {
		namespaces = append(namespaces, ns)
	}
	slices.Sort(namespaces)
	routings := make([]render.Routing, 0, len(namespaces))
	for _, ns := range namespaces {
		routing := render.BuildRouting(ns, byNamespace[ns])
		if len(routing.Conflicts) > 0 {
			return nil, errors.New(routing.Conflicts[0].String())
		}
		routings = append(routings, routing)
	}
	return render.AlertmanagerBlock(routings)
}
