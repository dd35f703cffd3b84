package v1alpha1

// Health is how a touchpoint, stage, journey or persona is doing right now,
// judged from live telemetry.
// +kubebuilder:validation:Enum=Unknown;Healthy;Degraded;Critical
type Health string

const (
	// HealthUnknown means there is no telemetry to judge by yet, or Prometheus
	// could not be asked.
	HealthUnknown Health = "Unknown"
	// HealthHealthy means the touchpoint meets its objectives.
	HealthHealthy Health = "Healthy"
	// HealthDegraded means a ticket-level alert fires or the objective is
	// missed while error budget is left: customers notice, but get through.
	HealthDegraded Health = "Degraded"
	// HealthCritical means a page-level alert fires, the error budget is
	// exhausted or the probe fails right now: customers are stuck.
	HealthCritical Health = "Critical"
)

// Channel is the medium through which a customer meets a touchpoint.
// +kubebuilder:validation:Enum=web;mobile-app;email;live-chat;phone;social;sms;paid-ads;reviews;in-person;api;search;maps;word-of-mouth;other
type Channel string

// Channels a touchpoint can use.
const (
	ChannelWeb       Channel = "web"
	ChannelMobileApp Channel = "mobile-app"
	ChannelEmail     Channel = "email"
	ChannelLiveChat  Channel = "live-chat"
	ChannelPhone     Channel = "phone"
	ChannelSocial    Channel = "social"
	ChannelSMS       Channel = "sms"
	ChannelPaidAds   Channel = "paid-ads"
	ChannelReviews   Channel = "reviews"
	ChannelInPerson  Channel = "in-person"
	ChannelAPI       Channel = "api"
	// ChannelSearch, ChannelMaps and ChannelWordOfMouth are how customers
	// find a place they then visit in person: a search result, a maps
	// listing, a friend's advice.
	ChannelSearch      Channel = "search"
	ChannelMaps        Channel = "maps"
	ChannelWordOfMouth Channel = "word-of-mouth"
	ChannelOther       Channel = "other"
)

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// name of the referenced object, in the same namespace as the referrer.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="name must be an object name: lowercase letters, digits, '-' and '.', e.g. checkout-journey"
	Name string `json:"name"`
}

// SecretKeySelector selects one key of a Secret in the same namespace.
type SecretKeySelector struct {
	// name of the Secret, in the same namespace as the TouchpointMonitor.
	// The collector mounts it in a directory of this name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="name must be a Secret name: lowercase letters, digits, '-' and '.', e.g. checkout-credentials"
	Name string `json:"name"`

	// key within the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +kubebuilder:validation:XValidation:rule="self != '.' && !self.startsWith('..')",message="key must be a Secret data key, not '.' or starting with '..'"
	Key string `json:"key"`
}
