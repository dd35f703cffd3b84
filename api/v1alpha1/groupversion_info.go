// Package v1alpha1 holds the journey-operator API: Personas, the JourneyMaps
// they walk, and the TouchpointMonitors that bind a journey's touchpoints to
// live telemetry.
//
// +kubebuilder:object:generate=true
// +groupName=cx.journeymap.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the API group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "cx.journeymap.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
