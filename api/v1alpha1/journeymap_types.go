package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MapType says which kind of journey map this is, as in journey-mapping
// practice.
// +kubebuilder:validation:Enum=CurrentState;FutureState;DayInTheLife;ServiceBlueprint
type MapType string

// Kinds of journey map.
const (
	// MapTypeCurrentState maps how customers experience the product today.
	MapTypeCurrentState MapType = "CurrentState"
	// MapTypeFutureState maps the experience the team is building toward.
	MapTypeFutureState MapType = "FutureState"
	// MapTypeDayInTheLife maps a whole day of the persona, product or not.
	MapTypeDayInTheLife MapType = "DayInTheLife"
	// MapTypeServiceBlueprint adds the backstage processes behind each
	// frontstage touchpoint.
	MapTypeServiceBlueprint MapType = "ServiceBlueprint"
)

// KPICategory is a pirate-metrics (AARRR) category a stage is measured by.
// +kubebuilder:validation:Enum=Acquisition;Activation;Retention;Revenue;Referral
type KPICategory string

// AARRR categories.
const (
	KPIAcquisition KPICategory = "Acquisition"
	KPIActivation  KPICategory = "Activation"
	KPIRetention   KPICategory = "Retention"
	KPIRevenue     KPICategory = "Revenue"
	KPIReferral    KPICategory = "Referral"
)

// Layer places a touchpoint in a service blueprint.
// +kubebuilder:validation:Enum=Frontstage;Backstage
type Layer string

// Service blueprint layers.
const (
	// LayerFrontstage touchpoints are seen by the customer.
	LayerFrontstage Layer = "Frontstage"
	// LayerBackstage touchpoints are processes the customer does not see but
	// depends on, e.g. the payment provider behind checkout.
	LayerBackstage Layer = "Backstage"
)

// Criticality is how much a touchpoint matters for getting through the
// journey. It weighs the touchpoint in stage and journey roll-ups.
// +kubebuilder:validation:Enum=Low;Medium;High;Critical
type Criticality string

// Criticality levels.
const (
	CriticalityLow      Criticality = "Low"
	CriticalityMedium   Criticality = "Medium"
	CriticalityHigh     Criticality = "High"
	CriticalityCritical Criticality = "Critical"
)

// JourneyMapSpec is one persona walking toward one goal, stage by stage.
// +kubebuilder:validation:XValidation:rule="self.stages.all(s, self.stages.exists_one(o, o.name == s.name))",message="stage names must be unique within a journey map"
// +kubebuilder:validation:XValidation:rule="self.stages.all(s, !has(s.touchpoints) || s.touchpoints.all(t, self.stages.filter(o, has(o.touchpoints) && o.touchpoints.exists(u, u.name == t.name)).size() == 1 && s.touchpoints.exists_one(u, u.name == t.name)))",message="touchpoint names must be unique across all stages of a journey map"
type JourneyMapSpec struct {
	// personaRef names the Persona, in the same namespace, who walks this
	// journey. It may be created before or after the map.
	// +required
	PersonaRef LocalObjectReference `json:"personaRef"`

	// type is the kind of map: CurrentState (default), FutureState,
	// DayInTheLife or ServiceBlueprint.
	// +optional
	// +kubebuilder:default=CurrentState
	Type MapType `json:"type,omitempty"`

	// goal is what the persona wants to achieve by the end of the journey,
	// e.g. "replace the office phone system without losing a call".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Goal string `json:"goal"`

	// scenario is the situation the journey starts from.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Scenario string `json:"scenario,omitempty"`

	// owner is the team accountable for the journey as a whole; alerts of
	// touchpoints without an owner of their own are routed to it.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Owner string `json:"owner,omitempty"`

	// stages are the steps of the journey in the order the persona walks
	// them, e.g. awareness, consideration, purchase, onboarding, retention,
	// advocacy.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=12
	// +listType=atomic
	Stages []Stage `json:"stages"`

	// alerting routes the journey's alerts to the teams that own its
	// touchpoints.
	// +optional
	Alerting *JourneyAlerting `json:"alerting,omitempty"`

	// maintenanceWindows are times when the journey's touchpoints are
	// expected to fail: their probes pause, the minutes spend no error
	// budget and their alerts are held back. At most 8, not overlapping,
	// none longer than a touchpoint's objective window.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=name
	MaintenanceWindows []TimeWindow `json:"maintenanceWindows,omitempty"`
}

// JourneyAlerting names, per team, the Alertmanager receiver its alerts go
// to. The operator never defines receivers or reads their credentials: with
// the Prometheus Operator it copies the named receivers from the
// AlertmanagerConfig receiversFrom into the namespace's generated
// AlertmanagerConfig (journey-alerts); with a plain Alertmanager,
// `kubectl journey render --alertmanager` prints the routes, naming the
// receivers of its own configuration.
// +kubebuilder:validation:XValidation:rule="!has(self.receivers) || has(self.receiversFrom)",message="receivers need receiversFrom: the AlertmanagerConfig in this namespace that defines them"
type JourneyAlerting struct {
	// receiversFrom names an AlertmanagerConfig in this namespace that
	// defines the receivers (with their Secrets) listed below, e.g.
	// "team-receivers". It may route nothing itself.
	// +optional
	ReceiversFrom *LocalObjectReference `json:"receiversFrom,omitempty"`

	// receivers send each team's alerts to a receiver. Alerts of a team
	// not listed go to Alertmanager's default route.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=team
	Receivers []TeamReceiver `json:"receivers,omitempty"`
}

// TeamReceiver routes the alerts of one team to one receiver.
type TeamReceiver struct {
	// team is the value of the alerts' team label: a touchpoint's owner,
	// else the map's owner.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="team must be a team name as owners are written: lowercase letters, digits and '-', e.g. payments"
	Team string `json:"team"`

	// receiver is the name of a receiver in receiversFrom (or, for a plain
	// Alertmanager, in its configuration).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Receiver string `json:"receiver"`
}

// Stage is one step of a journey: what the customer wants, does, asks,
// thinks and feels there, and where they meet us.
type Stage struct {
	// name identifies the stage in the map, as a DNS label, e.g. "onboarding".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// displayName is the stage's title on the map, e.g. "Evaluate vendors".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`

	// customerGoal is what the customer tries to get done in this stage.
	// Alerts quote it to say what a failure costs the customer.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	CustomerGoal string `json:"customerGoal,omitempty"`

	// actions are what the customer does in this stage.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	Actions []string `json:"actions,omitempty"`

	// questions are what the customer asks themselves in this stage.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	Questions []string `json:"questions,omitempty"`

	// thoughts are what the customer thinks in this stage, in their words.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	Thoughts []string `json:"thoughts,omitempty"`

	// emotion is the customer's feeling in this stage, from -2 (frustrated)
	// through 0 (neutral) to +2 (delighted): one point of the map's emotion
	// curve.
	// +optional
	// +kubebuilder:validation:Minimum=-2
	// +kubebuilder:validation:Maximum=2
	Emotion int32 `json:"emotion,omitempty"`

	// painPoints are what frustrates the customer in this stage.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	PainPoints []string `json:"painPoints,omitempty"`

	// opportunities are the improvements the team sees in this stage.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	Opportunities []string `json:"opportunities,omitempty"`

	// kpi is the business metric that tells whether this stage works.
	// +optional
	KPI *StageKPI `json:"kpi,omitempty"`

	// touchpoints are where the customer meets the company in this stage.
	// Their names are unique across the whole map.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	Touchpoints []Touchpoint `json:"touchpoints,omitempty"`
}

// StageKPI is the business metric a stage is measured by.
type StageKPI struct {
	// category is the AARRR category: Acquisition, Activation, Retention,
	// Revenue or Referral.
	// +required
	Category KPICategory `json:"category"`

	// metric names the measure, e.g. "trial-to-paid conversion".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Metric string `json:"metric,omitempty"`

	// query is PromQL for the rate at which customers reach this stage,
	// with the {{.window}} placeholder for its range, e.g.
	// sum(rate(shop_signups_total[{{.window}}])). When this stage and the
	// one before it both have a query, the roll-up rules record the share
	// of the earlier stage's entrants that reach this one (the conversion)
	// and alert (JourneyConversionDrop) when it drops. The persona's
	// segment narrows it like a metric SLI.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.contains('{{.window}}')",message="kpi.query must use the {{.window}} placeholder for its range"
	Query string `json:"query,omitempty"`

	// floor is the least conversion from the previous stage into this one
	// that is acceptable, as a fraction, e.g. "0.2". Below it
	// JourneyConversionDrop fires even without a week-old baseline to
	// compare with. Unset: only the drop against the baseline counts.
	// +optional
	// +kubebuilder:validation:MaxLength=10
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0(\\\\.[0-9]{1,6})?|1(\\\\.0+)?)$') && double(self) > 0.0",message="floor must be a fraction between 0 and 1, e.g. \"0.2\""
	Floor string `json:"floor,omitempty"`

	// minRate is the entrant rate of the previous stage, per second, below
	// which the conversion into this stage is not judged: too few
	// customers to tell a drop from chance, e.g. at night. Default "0.1"
	// (six a minute).
	// +optional
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{1,6}(\\\\.[0-9]{1,6})?$')",message="minRate must be a non-negative decimal number of entrants per second, e.g. \"0.1\""
	MinRate string `json:"minRate,omitempty"`

	// dropFor is how long the conversion into this stage must stay
	// dropped before JourneyConversionDrop fires, in whole minutes or
	// hours, e.g. "10m" (the default). Health shows a drop at once.
	// +optional
	// +kubebuilder:validation:MaxLength=4
	// +kubebuilder:validation:XValidation:rule="self.matches('^[1-9][0-9]{0,2}(m|h)$')",message="dropFor must be a whole number of minutes or hours, e.g. \"10m\""
	DropFor string `json:"dropFor,omitempty"`
}

// Touchpoint is one place where the customer meets the company.
type Touchpoint struct {
	// name identifies the touchpoint across the whole map, as a DNS label;
	// TouchpointMonitors refer to it by this name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// displayName is the touchpoint's label on the map, e.g. "Pricing page".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`

	// description says what happens at this touchpoint.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// channel is the medium: web, mobile-app, email, live-chat, phone,
	// social, sms, paid-ads, reviews, in-person, api, search, maps,
	// word-of-mouth or other.
	// +required
	Channel Channel `json:"channel"`

	// owner is the team that owns this touchpoint; its alerts are routed to
	// it. Defaults to the map's owner.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Owner string `json:"owner,omitempty"`

	// layer is Frontstage (seen by the customer, the default) or Backstage
	// (a process behind the scenes), as in a service blueprint.
	// +optional
	// +kubebuilder:default=Frontstage
	Layer Layer `json:"layer,omitempty"`

	// criticality is how much this touchpoint matters to getting through the
	// journey: Low, Medium (default), High or Critical. Critical touchpoints
	// make up the journey success ratio.
	// +optional
	// +kubebuilder:default=Medium
	Criticality Criticality `json:"criticality,omitempty"`

	// momentOfTruth marks a touchpoint where the customer decides whether to
	// go on with us. An unmonitored moment of truth is reported in status.
	// +optional
	MomentOfTruth bool `json:"momentOfTruth,omitempty"`
}

// JourneyMapStatus is the live state of the journey.
type JourneyMapStatus struct {
	// conditions are PersonaResolved, CollectorReady, RulesReady and the
	// summary Ready.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec last reconciled
	// successfully; unset until then.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// health is the journey's health rolled up from its stages.
	// +optional
	Health Health `json:"health,omitempty"`

	// score is 0 to 100 and weighs the health of the monitored touchpoints by
	// criticality; unset while no touchpoint health is known.
	// +optional
	Score *int32 `json:"score,omitempty"`

	// successRatio is the chance a customer gets through the journey: the
	// product of the critical touchpoints' success ratios, as a decimal,
	// e.g. "0.9731". Unset while unknown.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	SuccessRatio string `json:"successRatio,omitempty"`

	// conversion is the share of the entrants of the first stage with a
	// kpi.query who reach the last one, over the last 30 minutes, e.g.
	// "25%"; unset without two such stages or without entrants.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Conversion string `json:"conversion,omitempty"`

	// coverage says how much of the map is monitored.
	// +optional
	Coverage *Coverage `json:"coverage,omitempty"`

	// weakestStage is the stage with the worst health, then lowest score.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	WeakestStage string `json:"weakestStage,omitempty"`

	// firingAlerts is the number of touchpoint alerts firing in this journey.
	// +optional
	FiringAlerts int32 `json:"firingAlerts,omitempty"`

	// stages summarize each stage, in map order.
	// +optional
	// +kubebuilder:validation:MaxItems=12
	// +listType=atomic
	Stages []StageStatus `json:"stages,omitempty"`

	// collector names the children that run this journey's probes.
	// +optional
	Collector *CollectorStatus `json:"collector,omitempty"`

	// rules names the object holding the journey's roll-up rules.
	// +optional
	Rules *RulesStatus `json:"rules,omitempty"`
}

// Coverage says how much of a map is monitored.
type Coverage struct {
	// monitoredTouchpoints is the number of touchpoints with a
	// TouchpointMonitor bound to them.
	// +required
	MonitoredTouchpoints int32 `json:"monitoredTouchpoints"`

	// totalTouchpoints is the number of touchpoints in the map.
	// +required
	TotalTouchpoints int32 `json:"totalTouchpoints"`

	// summary is "monitored/total", for printing.
	// +required
	// +kubebuilder:validation:MaxLength=32
	Summary string `json:"summary"`

	// unmonitoredMomentsOfTruth are the moments of truth no monitor watches:
	// the blind spots that matter most.
	// +optional
	// +kubebuilder:validation:MaxItems=192
	// +kubebuilder:validation:items:MaxLength=63
	// +listType=atomic
	UnmonitoredMomentsOfTruth []string `json:"unmonitoredMomentsOfTruth,omitempty"`

	// unobservedStages are the stages nothing watches: no touchpoint of
	// theirs is monitored and their KPI has no query. Their health is
	// Unknown and they count in no score, so a score of 100 says nothing
	// about them.
	// +optional
	// +kubebuilder:validation:MaxItems=12
	// +kubebuilder:validation:items:MaxLength=63
	// +listType=atomic
	UnobservedStages []string `json:"unobservedStages,omitempty"`
}

// StageStatus summarizes one stage.
type StageStatus struct {
	// name of the stage.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// health of the stage, rolled up from its monitored touchpoints.
	// +required
	Health Health `json:"health"`

	// score is 0 to 100 for the stage; unset while unknown.
	// +optional
	Score *int32 `json:"score,omitempty"`

	// monitoredTouchpoints is the number of this stage's touchpoints with a
	// monitor.
	// +required
	MonitoredTouchpoints int32 `json:"monitoredTouchpoints"`

	// totalTouchpoints is the number of touchpoints in this stage.
	// +required
	TotalTouchpoints int32 `json:"totalTouchpoints"`

	// firingAlerts is the number of alerts firing for this stage's
	// touchpoints.
	// +optional
	FiringAlerts int32 `json:"firingAlerts,omitempty"`

	// conversion is the share of the previous stage's entrants who reach
	// this stage, when both measure their entrants (kpi.query); unset
	// while no one entered the previous stage lately.
	// +optional
	Conversion *StageConversion `json:"conversion,omitempty"`
}

// StageConversion is how many of the previous stage's entrants reach a
// stage, in whole percent so that noise changes nothing.
type StageConversion struct {
	// from is the previous stage.
	// +required
	// +kubebuilder:validation:MaxLength=63
	From string `json:"from"`

	// now is the conversion over the last 30 minutes, e.g. "48%".
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Now string `json:"now,omitempty"`

	// baseline is the same a week earlier; unset in the first week.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Baseline string `json:"baseline,omitempty"`

	// dropped is true while the conversion over the last 5 minutes is
	// below half its baseline or below the KPI's floor, with enough
	// entrants to tell: the stage is then at least Degraded, and
	// JourneyConversionDrop fires once it lasts 10 minutes.
	// +optional
	Dropped bool `json:"dropped,omitempty"`

	// message says why the stage is Degraded on conversion, e.g.
	// "conversion Consideration → Purchase 21%, baseline 48%".
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Message string `json:"message,omitempty"`
}

// CollectorStatus names the children that run a journey's probes.
type CollectorStatus struct {
	// configMap holds the journey-probe configuration.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ConfigMap string `json:"configMap,omitempty"`
	// deployment runs journey-probe.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Deployment string `json:"deployment,omitempty"`
	// service exposes journey-probe's metrics.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Service string `json:"service,omitempty"`
	// probes is the number of probes the collector runs.
	// +optional
	Probes int32 `json:"probes,omitempty"`
}

// JourneyMap is one persona walking toward one goal through ordered stages
// and their touchpoints; its status shows where customers hurt right now.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=jm,categories=journeys
// +kubebuilder:printcolumn:name="Persona",type=string,JSONPath=`.spec.personaRef.name`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`,priority=1
// +kubebuilder:printcolumn:name="Coverage",type=string,JSONPath=`.status.coverage.summary`
// +kubebuilder:printcolumn:name="Health",type=string,JSONPath=`.status.health`
// +kubebuilder:printcolumn:name="Score",type=integer,JSONPath=`.status.score`
// +kubebuilder:printcolumn:name="Weakest Stage",type=string,JSONPath=`.status.weakestStage`
// +kubebuilder:printcolumn:name="Alerts",type=integer,JSONPath=`.status.firingAlerts`,priority=1
// +kubebuilder:printcolumn:name="Success",type=string,JSONPath=`.status.successRatio`,priority=1
// +kubebuilder:printcolumn:name="Conversion",type=string,JSONPath=`.status.conversion`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type JourneyMap struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the journey as designed.
	// +required
	Spec JourneyMapSpec `json:"spec"`

	// status is what the operator observed; written by the operator only.
	// +optional
	Status JourneyMapStatus `json:"status,omitempty"`
}

// JourneyMapList is a list of JourneyMaps.
//
// +kubebuilder:object:root=true
type JourneyMapList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the JourneyMaps.
	Items []JourneyMap `json:"items"`
}

func init() {
	register(&JourneyMap{}, &JourneyMapList{})
}
