package render

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/journey"
)

// RulesObject is the child holding a set of rule groups: a PrometheusRule
// where the Prometheus Operator is installed, else a ConfigMap with a plain
// Prometheus rule file.
type RulesObject struct {
	// Name of the child.
	Name string
	// Owner is the object the rules belong to.
	Owner client.Object
	// Labels of the child, on top of the managed-by label.
	Labels map[string]string
	// Groups are the rules.
	Groups []monitoringv1.RuleGroup
}

// BuildPrometheusRule builds the PrometheusRule of a rule set.
func BuildPrometheusRule(r RulesObject, scheme *runtime.Scheme) (*monitoringv1.PrometheusRule, error) {
	meta, err := childMeta(r.Name, r.Owner, r.Labels, scheme)
	if err != nil {
		return nil, err
	}
	return &monitoringv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PrometheusRuleKind},
		ObjectMeta: meta,
		Spec:       monitoringv1.PrometheusRuleSpec{Groups: r.Groups},
	}, nil
}

// BuildRuleConfigMap builds the ConfigMap of a rule set: a Prometheus rule
// file under RuleFileKey, for clusters without the Prometheus Operator.
func BuildRuleConfigMap(r RulesObject, scheme *runtime.Scheme) (*corev1.ConfigMap, error) {
	meta, err := childMeta(r.Name, r.Owner, r.Labels, scheme)
	if err != nil {
		return nil, err
	}
	file, err := RuleFile(r.Groups)
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
		Data:       map[string]string{RuleFileKey: string(file)},
	}, nil
}

// ruleFile, ruleGroup and rule mirror Prometheus' rule file format.
type ruleFile struct {
	Groups []ruleGroup `json:"groups"`
}

type ruleGroup struct {
	Name     string `json:"name"`
	Interval string `json:"interval,omitempty"`
	Rules    []rule `json:"rules"`
}

type rule struct {
	Record      string            `json:"record,omitempty"`
	Alert       string            `json:"alert,omitempty"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// RuleFile renders rule groups as a Prometheus rule file.
func RuleFile(groups []monitoringv1.RuleGroup) ([]byte, error) {
	file := ruleFile{Groups: make([]ruleGroup, 0, len(groups))}
	for _, g := range groups {
		group := ruleGroup{Name: g.Name, Rules: make([]rule, 0, len(g.Rules))}
		if g.Interval != nil {
			group.Interval = string(*g.Interval)
		}
		for _, r := range g.Rules {
			out := rule{Record: r.Record, Alert: r.Alert, Expr: r.Expr.String(), Labels: r.Labels, Annotations: r.Annotations}
			if r.For != nil {
				out.For = string(*r.For)
			}
			group.Rules = append(group.Rules, out)
		}
		file.Groups = append(file.Groups, group)
	}
	return yaml.Marshal(file)
}

// MonitorRules is the rule set of a monitored touchpoint.
func MonitorRules(b journey.TouchpointBinding) (RulesObject, error) {
	groups, err := MonitorRuleGroups(b)
	if err != nil {
		return RulesObject{}, err
	}
	return RulesObject{
		Name:  MonitorRulesName(b.Monitor.Name),
		Owner: b.Monitor,
		Labels: map[string]string{
			ComponentLabel:  rulesComponent,
			JourneyLabel:    labelValue(b.Map.Name),
			StageLabel:      labelValue(b.Stage.Name),
			TouchpointLabel: labelValue(b.Touchpoint.Name),
			MonitorLabel:    labelValue(b.Monitor.Name),
		},
		Groups: groups,
	}, nil
}

// childMeta is the metadata every child shares: its name, the owner's
// namespace, the managed-by label and a controller reference to the owner,
// whose kind comes from the scheme rather than from TypeMeta, which typed
// objects read from the API do not carry.
func childMeta(name string, owner client.Object, labels map[string]string, scheme *runtime.Scheme) (metav1.ObjectMeta, error) {
	gvk, err := apiutil.GVKForObject(owner, scheme)
	if err != nil {
		return metav1.ObjectMeta{}, fmt.Errorf("owner %s: %w", owner.GetName(), err)
	}
	all := map[string]string{ManagedByLabel: ManagedByValue}
	for k, v := range labels {
		all[k] = v
	}
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       owner.GetNamespace(),
		Labels:          all,
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, gvk)},
	}, nil
}
