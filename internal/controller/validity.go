package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// validity remembers, per monitor generation, whether the monitor's spec is
// valid. Validating renders every rule and parses it as PromQL; a map with
// fifty monitors is reconciled each time one of them changes status, and
// without this it would validate all fifty again each time. A spec only
// changes with the generation, and the map's names reach the rules as
// quoted label values that cannot make them invalid.
type validity struct {
	mu      sync.Mutex
	checked map[types.NamespacedName]validityEntry
}

type validityEntry struct {
	uid        types.UID
	generation int64
	err        error
}

// validate returns render.Validate's verdict on the binding's monitor,
// computed once per generation.
func (v *validity) validate(b journey.TouchpointBinding) error {
	key := types.NamespacedName{Namespace: b.Monitor.Namespace, Name: b.Monitor.Name}
	uid, generation := b.Monitor.UID, b.Monitor.Generation
	v.mu.Lock()
	entry, ok := v.checked[key]
	v.mu.Unlock()
	if ok && entry.uid == uid && entry.generation == generation {
		return entry.err
	}
	err := render.Validate(b)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.checked == nil {
		v.checked = map[types.NamespacedName]validityEntry{}
	}
	v.checked[key] = validityEntry{uid: uid, generation: generation, err: err}
	return err
}

// forget drops a deleted monitor.
func (v *validity) forget(key types.NamespacedName) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.checked, key)
}
