// Package render builds the operator's children from the journey objects:
// pure functions, spec in and full object out, so that server-side apply
// gets the whole intent and tests compare whole objects with golden files.
package render

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
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

// Length limits of the names children carry.
const (
	// maxLabelValue is the length limit of label values and, as DNS-1035
	// labels, of Service names.
	maxLabelValue = validation.DNS1035LabelMaxLength
	// maxObjectName is the length limit of the names of the other kinds.
	maxObjectName = validation.DNS1123SubdomainMaxLength
	// hashLength is how many hex digits of a SHA-256 end an altered name:
	// 32 bits, enough to tell apart the names of one namespace.
	hashLength = 8
)

// Names that had to be altered to fit their kind end in a hash of what they
// were derived from, so that two inputs never share a child ("a.b" and
// "a-b" both fit a Service name as "…a-b" only with different hashes),
// and the same input always gets the same name. Names that already fit
// are used as they are, so that no child of an existing object is renamed
// (and orphaned) by an upgrade; every name altered here used to be
// rejected by the apiserver, or was already hashed the same way.

// CollectorName names the collector ConfigMap, Deployment, Service and
// ServiceMonitor of a journey map. It is a DNS-1035 label, as a Service
// name must be, and so valid for the other kinds too.
func CollectorName(journey string) string {
	return fitName("journey-probe-"+journey, maxLabelValue, dns1035Char, isDNS1035Label)
}

// JourneyRulesName names the roll-up rules of a journey map, a DNS-1123
// subdomain.
func JourneyRulesName(journey string) string {
	return fitName("journey-rollup-"+journey, maxObjectName, dns1123Char, isDNS1123Subdomain)
}

// MonitorRulesName names the rules of a TouchpointMonitor, a DNS-1123
// subdomain.
func MonitorRulesName(monitor string) string {
	return fitName("touchpoint-slo-"+monitor, maxObjectName, dns1123Char, isDNS1123Subdomain)
}

// labelValue fits a name into a Kubernetes label value.
func labelValue(name string) string {
	return fitName(name, maxLabelValue, labelValueChar, isLabelValue)
}

// fitName returns name if valid accepts it. Otherwise it replaces the
// characters allowed rejects by "-", cuts the result to leave room for the
// hash, trims what may not start or end a name, and appends "-" and a hash
// of the original name. The names passed in are object names (DNS-1123
// subdomains) or DNS labels behind a prefix, so what is left in the
// middle is valid for the kind; the prefixes of Service names start with a
// letter, as DNS-1035 labels must.
func fitName(name string, maxLen int, allowed func(rune) bool, valid func(string) bool) string {
	if valid(name) {
		return name
	}
	cleaned := strings.Map(func(r rune) rune {
		if allowed(r) {
			return r
		}
		return '-'
	}, name)
	if keep := maxLen - hashLength - 1; len(cleaned) > keep {
		cleaned = cleaned[:keep]
	}
	sum := sha256.Sum256([]byte(name))
	hash := hex.EncodeToString(sum[:])[:hashLength]
	if cleaned = strings.Trim(cleaned, "-._"); cleaned == "" {
		return hash
	}
	return cleaned + "-" + hash
}

func isDNS1035Label(s string) bool     { return len(validation.IsDNS1035Label(s)) == 0 }
func isDNS1123Subdomain(s string) bool { return len(validation.IsDNS1123Subdomain(s)) == 0 }
func isLabelValue(s string) bool       { return len(validation.IsValidLabelValue(s)) == 0 }

func dns1035Char(r rune) bool    { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' }
func dns1123Char(r rune) bool    { return dns1035Char(r) || r == '.' }
func labelValueChar(r rune) bool { return dns1123Char(r) || r >= 'A' && r <= 'Z' || r == '_' }
