// Package v1alpha1 holds the journey-operator API: Personas, the JourneyMaps
// they walk, and the TouchpointMonitors that bind a journey's touchpoints to
// live telemetry.
//
// +kubebuilder:object:generate=true
// +groupName=cx.journeymap.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "cx.journeymap.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme.
	// It is apimachinery's, not controller-runtime's (deprecated) scheme.Builder,
	// so that importing the API does not pull in controller-runtime.
	SchemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
		metav1.AddToGroupVersion(s, GroupVersion)
		return nil
	})

	// AddToScheme adds the kinds of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// register adds kinds of this package to SchemeBuilder; the file of each
// kind calls it from init.
func register(objects ...runtime.Object) {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(GroupVersion, objects...)
		return nil
	})
}
