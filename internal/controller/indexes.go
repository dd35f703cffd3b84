package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
)

// Field indexes that turn a reference into a lookup: which monitors name a
// map, which maps name a persona.
const (
	monitorJourneyMapIndex = ".spec.journeyMapRef.name"
	mapPersonaIndex        = ".spec.personaRef.name"
	// monitorSecretIndex finds the monitors whose probe reads a Secret.
	monitorSecretIndex = ".spec.probe.secrets"
)

// SetupIndexes registers the field indexes the reconcilers list by.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &cxv1alpha1.TouchpointMonitor{}, monitorJourneyMapIndex, func(o client.Object) []string {
		return []string{o.(*cxv1alpha1.TouchpointMonitor).Spec.JourneyMapRef.Name}
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &cxv1alpha1.TouchpointMonitor{}, monitorSecretIndex, func(o client.Object) []string {
		return journey.SecretNames(o.(*cxv1alpha1.TouchpointMonitor))
	}); err != nil {
		return err
	}
	return indexer.IndexField(ctx, &cxv1alpha1.JourneyMap{}, mapPersonaIndex, func(o client.Object) []string {
		return []string{o.(*cxv1alpha1.JourneyMap).Spec.PersonaRef.Name}
	})
}
