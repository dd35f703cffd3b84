package journey

import (
	"fmt"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// SecretUse is one place where a monitor's probe reads a Secret key.
type SecretUse struct {
	// Secret is the name of the Secret, in the monitor's namespace.
	Secret string
	// Key is the key read from it.
	Key string
	// Field is the reference's path in the monitor, for messages.
	Field string
}

// SecretUses lists where the monitor's probe reads Secrets, in spec order.
func SecretUses(monitor *cxv1alpha1.TouchpointMonitor) []SecretUse {
	probe := monitor.Spec.Probe
	if probe == nil {
		return nil
	}
	var uses []SecretUse
	add := func(field string, req cxv1alpha1.HTTPRequest) {
		for i, h := range req.Headers {
			if h.ValueFrom != nil {
				ref := h.ValueFrom.SecretKeyRef
				uses = append(uses, SecretUse{Secret: ref.Name, Key: ref.Key, Field: fmt.Sprintf("%s.headers[%d].valueFrom.secretKeyRef", field, i)})
			}
		}
		if req.TLS != nil && req.TLS.CASecretRef != nil {
			ref := req.TLS.CASecretRef
			uses = append(uses, SecretUse{Secret: ref.Name, Key: ref.Key, Field: field + ".tls.caSecretRef"})
		}
	}
	switch {
	case probe.HTTP != nil:
		add("spec.probe.http", probe.HTTP.HTTPRequest)
	case probe.Flow != nil:
		for i, step := range probe.Flow.Steps {
			add(fmt.Sprintf("spec.probe.flow.steps[%d]", i), step.HTTPRequest)
		}
	}
	return uses
}

// SecretNames are the distinct Secrets the monitor's probe reads.
func SecretNames(monitor *cxv1alpha1.TouchpointMonitor) []string {
	var names []string
	seen := map[string]bool{}
	for _, use := range SecretUses(monitor) {
		if !seen[use.Secret] {
			seen[use.Secret] = true
			names = append(names, use.Secret)
		}
	}
	return names
}
