package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TechSavviness is how comfortable a persona is with technology.
// +kubebuilder:validation:Enum=Low;Medium;High
type TechSavviness string

// Levels of TechSavviness.
const (
	TechSavvinessLow    TechSavviness = "Low"
	TechSavvinessMedium TechSavviness = "Medium"
	TechSavvinessHigh   TechSavviness = "High"
)

// PersonaSpec describes a semi-fictional customer segment, built from
// research: who they are, what they want and what gets in their way.
// +kubebuilder:validation:XValidation:rule="!has(self.preferredChannels) || self.preferredChannels.all(c, self.preferredChannels.exists_one(d, d == c))",message="preferredChannels must not list a channel twice"
type PersonaSpec struct {
	// displayName is how the persona is called in conversation, e.g.
	// "Startup CMO Sam".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName"`

	// scenario is the persona's backstory: the situation that makes them
	// look for a product like ours.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Scenario string `json:"scenario,omitempty"`

	// demographics places the persona in the market.
	// +optional
	Demographics *Demographics `json:"demographics,omitempty"`

	// goals are what the persona wants to achieve, in their words.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	Goals []string `json:"goals,omitempty"`

	// challenges are the pain points and obstacles the persona lives with.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	Challenges []string `json:"challenges,omitempty"`

	// values are what the persona cares about when choosing a vendor,
	// e.g. "transparent pricing".
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=256
	// +listType=atomic
	Values []string `json:"values,omitempty"`

	// techSavviness is how comfortable the persona is with technology.
	// +optional
	TechSavviness TechSavviness `json:"techSavviness,omitempty"`

	// preferredChannels are the channels the persona reaches for first.
	// +optional
	// +kubebuilder:validation:MaxItems=12
	// +listType=atomic
	PreferredChannels []Channel `json:"preferredChannels,omitempty"`

	// customerSharePercent is the share of the customer base this persona
	// stands for, 0 to 100. It weighs the persona when experience scores are
	// compared across personas.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	CustomerSharePercent *int32 `json:"customerSharePercent,omitempty"`

	// expectations are the experience levels this persona tolerates; monitors
	// of journeys walked by this persona are judged against them when they do
	// not set their own objectives.
	// +optional
	Expectations *ExperienceExpectations `json:"expectations,omitempty"`

	// segment are the label matchers that select this persona's customers
	// in the telemetry, e.g. plan="enterprise" and region="eu". The metric
	// SLIs and KPI queries of the persona's maps are narrowed to them:
	// every series selector in those queries gains the matchers, so two
	// personas can watch the same API against different objectives. A
	// selector that already constrains one of these labels is an error,
	// never merged.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=name
	Segment []SegmentMatcher `json:"segment,omitempty"`
}

// MatchOperator is how a segment matcher compares a label's value, as in
// PromQL.
// +kubebuilder:validation:Enum="=";"!=";"=~";"!~"
type MatchOperator string

// Segment matcher operators.
const (
	MatchEqual     MatchOperator = "="
	MatchNotEqual  MatchOperator = "!="
	MatchRegexp    MatchOperator = "=~"
	MatchNotRegexp MatchOperator = "!~"
)

// SegmentMatcher is one PromQL label matcher of a persona's segment.
type SegmentMatcher struct {
	// name is the label name, e.g. "plan".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_]*$`
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('__')",message="segment label names starting with __ are reserved by Prometheus"
	Name string `json:"name"`

	// operator is =, !=, =~ (matches the regular expression) or !~. A
	// regular expression is RE2, anchored at both ends as in PromQL.
	// +required
	Operator MatchOperator `json:"operator"`

	// value is the label value or regular expression, e.g. "enterprise".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Value string `json:"value,omitempty"`
}

// Demographics places a persona in the market.
type Demographics struct {
	// ageRange is the persona's age bracket, e.g. "30-45".
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{1,3}(-[0-9]{1,3}|\+)?$`
	// +kubebuilder:validation:MaxLength=8
	AgeRange string `json:"ageRange,omitempty"`

	// role is the persona's job title or role, e.g. "Chief Marketing Officer".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Role string `json:"role,omitempty"`

	// industry the persona works in, e.g. "B2B SaaS".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Industry string `json:"industry,omitempty"`

	// companySize is the head count bracket of the persona's company.
	// +optional
	// +kubebuilder:validation:Enum="1-10";"11-50";"51-200";"201-1000";"1001-5000";"5000+"
	CompanySize string `json:"companySize,omitempty"`

	// location is where the persona works, e.g. "EMEA" or "Berlin".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Location string `json:"location,omitempty"`
}

// ExperienceExpectations are the service levels a persona tolerates.
type ExperienceExpectations struct {
	// maxLatency is the response time after which this persona gives up,
	// as a duration such as "2s" or "800ms" (units ns, us, ms, s, m, h);
	// greater than 0s and at most 5m, like a monitor's latency threshold.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$')",message="maxLatency must be a duration such as 2s or 800ms (units ns, us, ms, s, m, h)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$') || (duration(self) > duration('0s') && duration(self) <= duration('5m'))",message="maxLatency must be greater than 0s and at most 5m"
	MaxLatency *metav1.Duration `json:"maxLatency,omitempty"`

	// availabilityPercent is the share of attempts that must succeed for
	// this persona to stay, e.g. "99.5"; strictly between 0 and 100, with at
	// most 4 decimals.
	// +optional
	// +kubebuilder:validation:MaxLength=7
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{1,2}([.][0-9]{1,4})?$') && double(self) > 0.0",message="availabilityPercent must be a percentage strictly between 0 and 100 with at most 4 decimals, e.g. \"99.5\""
	AvailabilityPercent string `json:"availabilityPercent,omitempty"`
}

// PersonaStatus is what the operator observed about the persona's journeys.
type PersonaStatus struct {
	// conditions hold Ready, which tells whether the persona's journeys are all known
	// and resolved.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec last reconciled
	// successfully; unset until then.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// journeyMaps are the names of the JourneyMaps walked by this persona,
	// sorted.
	// +optional
	// +kubebuilder:validation:MaxItems=1024
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=atomic
	JourneyMaps []string `json:"journeyMaps,omitempty"`

	// journeyMapCount is the number of JourneyMaps walked by this persona.
	// +optional
	JourneyMapCount int32 `json:"journeyMapCount,omitempty"`

	// health is the worst health of this persona's journeys.
	// +optional
	Health Health `json:"health,omitempty"`

	// experienceScore is 0 to 100: the mean score of this persona's
	// journeys with a known score; unset while none is known.
	// +optional
	ExperienceScore *int32 `json:"experienceScore,omitempty"`
}

// Persona is a semi-fictional customer segment that walks one or more
// JourneyMaps.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=psn,categories=journeys
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Journeys",type=integer,JSONPath=`.status.journeyMapCount`
// +kubebuilder:printcolumn:name="Health",type=string,JSONPath=`.status.health`
// +kubebuilder:printcolumn:name="Score",type=integer,JSONPath=`.status.experienceScore`
// +kubebuilder:printcolumn:name="Share",type=integer,JSONPath=`.spec.customerSharePercent`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Persona struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes who the customer is.
	// +required
	Spec PersonaSpec `json:"spec"`

	// status is what the operator observed; written by the operator only.
	// +optional
	Status PersonaStatus `json:"status,omitempty"`
}

// PersonaList is a list of Personas.
//
// +kubebuilder:object:root=true
type PersonaList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the Personas.
	Items []Persona `json:"items"`
}

func init() {
	register(&Persona{}, &PersonaList{})
}
