// Package render builds the operator's children from the journey objects:
// pure functions, spec in and full object out, so that server-side apply
// gets the whole intent and tests compare whole objects with golden files.
package render

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Labels every child carries.
const (
	ManagedByLabel     = "app.kubernetes.io/managed-by"
	ManagedByValue     = "journey-operator"
	JourneyLabel       = "cx.journeymap.dev/journey"
	StageLabel         = "cx.journeymap.dev/stage"
	TouchpointLabel    = "cx.journeymap.dev/touchpoint"
	MonitorLabel       = "cx.journeymap.dev/monitor"
	ComponentLabel     = "app.kubernetes.io/component"
	NameLabel          = "app.kubernetes.io/name"
	collectorComponent = "collector"
	rulesComponent     = "rules"
	// RuleFileKey is the key of a rule ConfigMap that holds the Prometheus
	// rule file, for clusters without the Prometheus Operator.
	RuleFileKey = "rules.yaml"
)

// maxLabelValue is the length limit of label values and of Service names.
const maxLabelValue = 63

// childName joins a prefix and an object name into a child name of at most
// max characters. Names that would be longer are cut and end in a hash of
// the full name, so that two long names never map to the same child.
func childName(prefix, name string, max int) string {
	full := prefix + "-" + name
	if len(full) <= max {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	suffix := hex.EncodeToString(sum[:])[:8]
	cut := strings.TrimRight(full[:max-len(suffix)-1], "-.")
	return cut + "-" + suffix
}

// CollectorName names the collector ConfigMap, Deployment, Service and
// ServiceMonitor of a journey map. It is a valid Service name.
func CollectorName(journey string) string {
	return childName("journey-probe", journey, maxLabelValue)
}

// JourneyRulesName names the roll-up rules of a journey map.
func JourneyRulesName(journey string) string {
	return childName("journey-rollup", journey, 253)
}

// MonitorRulesName names the rules of a TouchpointMonitor.
func MonitorRulesName(monitor string) string {
	return childName("touchpoint-slo", monitor, 253)
}

// labelValue fits a name into a label value.
func labelValue(name string) string {
	if len(name) <= maxLabelValue {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:maxLabelValue-9], "-._") + "-" + hex.EncodeToString(sum[:])[:8]
}
