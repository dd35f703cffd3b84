package v1alpha1

// Condition types. Every kind carries Ready, summarized from the others:
// it is True only when every specific condition of the kind is True.
// Stalled is negative-polarity: it is set only while the spec is invalid and
// the operator will not retry until the spec changes.
const (
	// ReadyCondition summarizes the object's specific conditions.
	ReadyCondition = "Ready"

	// StalledCondition is True while the spec cannot be acted on, e.g. an
	// invalid regular expression; it clears when the spec changes.
	StalledCondition = "Stalled"

	// PersonaResolvedCondition is True when a JourneyMap's persona exists.
	PersonaResolvedCondition = "PersonaResolved"

	// CollectorReadyCondition is True when a JourneyMap's collector children
	// (probe ConfigMap, Deployment, Service, scrape config) are applied.
	CollectorReadyCondition = "CollectorReady"

	// RulesReadyCondition is True when the Prometheus rules of a JourneyMap
	// or TouchpointMonitor are applied.
	RulesReadyCondition = "RulesReady"

	// TouchpointResolvedCondition is True when a TouchpointMonitor's map
	// exists and holds its touchpoint.
	TouchpointResolvedCondition = "TouchpointResolved"

	// TelemetryBoundCondition is True when Prometheus holds SLI series for
	// a TouchpointMonitor; False is the "rules loaded, no data" trap.
	TelemetryBoundCondition = "TelemetryBound"

	// JourneyMapsResolvedCondition is True when every JourneyMap naming a
	// Persona is known to the operator.
	JourneyMapsResolvedCondition = "JourneyMapsResolved"

	// SegmentValidCondition is True when a Persona's segment can narrow
	// queries: its label names are valid and its regular expressions
	// compile as RE2, which the schema cannot check.
	SegmentValidCondition = "SegmentValid"

	// SecretsResolvedCondition is True when every Secret a
	// TouchpointMonitor's probe reads exists. While one is missing the
	// probe is left out of its map's collector, whose pod could not start
	// with a missing Secret volume, and the other probes keep running.
	SecretsResolvedCondition = "SecretsResolved"

	// LiteralCredentialsCondition is negative-polarity: True while a
	// TouchpointMonitor's probe carries what looks like a credential as
	// literal text (a token header, a password in the URL). It is a
	// warning and does not make the monitor unready: the value belongs in
	// a Secret, where it is not shown to everyone who can read the monitor.
	LiteralCredentialsCondition = "LiteralCredentials"

	// AlertsRoutedCondition is True when every receiver a JourneyMap's
	// alerting names exists in its receiversFrom AlertmanagerConfig and the
	// namespace's AlertmanagerConfig is applied, or when there is nothing
	// to route. It is absent without the Prometheus Operator's
	// AlertmanagerConfig CRD.
	AlertsRoutedCondition = "AlertsRouted"

	// InMaintenanceCondition is informational, not counted toward Ready:
	// True while one of the object's maintenance windows is open; its
	// message names the window and when it ends, written once per window.
	InMaintenanceCondition = "InMaintenance"
)

// Condition reasons.
const (
	// SucceededReason: the step did what it should.
	SucceededReason = "Succeeded"

	// ProgressingReason: the operator is still working toward the spec.
	ProgressingReason = "Progressing"

	// InvalidSpecReason: the spec passed the API's validation but cannot be
	// acted on; the message says what to fix.
	InvalidSpecReason = "InvalidSpec"

	// PersonaNotFoundReason: the map's personaRef names no Persona. Resolved
	// as soon as it appears.
	PersonaNotFoundReason = "PersonaNotFound"

	// JourneyMapNotFoundReason: the monitor's journeyMapRef names no
	// JourneyMap. Resolved as soon as it appears.
	JourneyMapNotFoundReason = "JourneyMapNotFound"

	// TouchpointNotFoundReason: the map exists but has no touchpoint of the
	// monitor's name.
	TouchpointNotFoundReason = "TouchpointNotFound"

	// DuplicateMonitorReason: another monitor of the same touchpoint was
	// created first; only the oldest monitor of a touchpoint is used.
	DuplicateMonitorReason = "DuplicateMonitor"

	// ApplyFailedReason: a child could not be written; the operator retries
	// with backoff.
	ApplyFailedReason = "ApplyFailed"

	// PrometheusRuleAppliedReason: rules were written as a PrometheusRule.
	PrometheusRuleAppliedReason = "PrometheusRuleApplied"

	// RuleConfigMapAppliedReason: the Prometheus Operator CRDs are not
	// installed, so rules were written as a ConfigMap holding a plain
	// Prometheus rule file.
	RuleConfigMapAppliedReason = "RuleConfigMapApplied"

	// NoDataReason: the rules are loaded but Prometheus has no SLI series
	// for the touchpoint.
	NoDataReason = "NoData"

	// PrometheusUnreachableReason: Prometheus could not be queried; the
	// previous SLI values are kept.
	PrometheusUnreachableReason = "PrometheusUnreachable"

	// SecretNotFoundReason: a Secret the probe reads does not exist in the
	// monitor's namespace. Resolved as soon as it is created.
	SecretNotFoundReason = "SecretNotFound"

	// LiteralCredentialReason: a probe carries a credential as literal text.
	LiteralCredentialReason = "LiteralCredential"

	// CollectorConfigTooLargeReason: the probes of a map do not fit in one
	// collector ConfigMap; the message names the largest monitors.
	CollectorConfigTooLargeReason = "CollectorConfigTooLarge"

	// ReceiverNotFoundReason: a receiver the map's alerting names is not
	// defined in its receiversFrom AlertmanagerConfig, or that
	// AlertmanagerConfig does not exist. Resolved as soon as it appears.
	ReceiverNotFoundReason = "ReceiverNotFound"

	// AlertmanagerConfigAppliedReason: the namespace's AlertmanagerConfig
	// holds the map's routes and inhibition rules.
	AlertmanagerConfigAppliedReason = "AlertmanagerConfigApplied"

	// InvalidMaintenanceWindowReason: a maintenance window cannot be used:
	// its time zone is unknown, it overlaps another, or it is longer than
	// a touchpoint's objective window. The message says which.
	InvalidMaintenanceWindowReason = "InvalidMaintenanceWindow"

	// WindowOpenReason: a maintenance window is open.
	WindowOpenReason = "WindowOpen"

	// NoWindowOpenReason: no maintenance window is open.
	NoWindowOpenReason = "NoWindowOpen"
)
