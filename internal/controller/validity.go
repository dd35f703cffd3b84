package controller

import (
	"fmt"

	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// validity remembers, per monitor generation, whether the monitor's spec is
// valid. Validating renders every rule and parses it as PromQL; a map with
// fifty monitors is reconciled each time one of them changes status, and
// without this it would validate all fifty again each time. A spec only
// changes with the generation, the persona's expectations (which stand in
// for objectives the monitor leaves out) with the persona's generation, and the
// map's names reach the rules as escaped label values that cannot make them
// invalid.
type validity struct {
	mu      sync.Mutex
	checked map[types.NamespacedName]validityEntry
}

type validityEntry struct {
	uid        types.UID
	generation int64
	// persona identifies the persona spec whose expectations the verdict
	// used, as UID and generation; "" without one.
	persona string
	err     error
}

// validate returns render.Validate's verdict on the binding's monitor,
// computed once per generation.
func (v *validity) validate(b journey.TouchpointBinding) error {
	key := types.NamespacedName{Namespace: b.Monitor.Namespace, Name: b.Monitor.Name}
	uid, generation := b.Monitor.UID, b.Monitor.Generation
	persona := ""
	if b.Persona != nil {
		persona = fmt.Sprintf("%s/%d", b.Persona.UID, b.Persona.Generation)
	}
	v.mu.Lock()
	entry, ok := v.checked[key]
	v.mu.Unlock()
	if ok && entry.uid == uid && entry.generation == generation && entry.persona == persona {
		return entry.err
	}
	err := render.Validate(b)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.checked == nil {
		v.checked = map[types.NamespacedName]validityEntry{}
	}
	v.checked[key] = validityEntry{uid: uid, generation: generation, persona: persona, err: err}
	return err
}

// forget drops a deleted monitor.
func (v *validity) forget(key types.NamespacedName) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.checked, key)
}
