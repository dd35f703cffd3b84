// Package apply writes the operator's children with server-side apply under
// one field manager, and skips the write when nothing would change.
package apply

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// FieldManager owns every field the operator writes.
const FieldManager = "journey-operator"

// Applier applies desired objects. A server-side apply of an unchanged
// object is still a write request, so the Applier remembers, per object, the
// intent it last applied and the resourceVersion the apiserver answered
// with. While the cached object still has that resourceVersion and the
// intent is the same, nothing can have drifted and the write is skipped.
// Any change by anyone (a hand edit, a deletion) changes the
// resourceVersion and the next reconcile applies again.
//
// The cache can lag behind the Applier's own writes: an owner requeued by
// the deletion of a second child may still see the first one, re-created a
// moment ago, as missing. When the cache and the Applier's memory
// disagree, a metadata read from the apiserver settles it, so a read, not
// a second write, pays for the lag.
type Applier struct {
	// Client writes to the apiserver.
	Client client.Client
	// Reader reads the current state, normally the manager's cache.
	Reader client.Reader
	// LiveReader reads the apiserver directly, to settle disagreements
	// between Reader and what the Applier last applied. Without it, every
	// disagreement is taken as drift and applied over.
	LiveReader client.Reader

	mu      sync.Mutex
	applied map[objectKey]appliedState
}

type objectKey struct {
	gvk       schema.GroupVersionKind
	namespace string
	name      string
}

type appliedState struct {
	intentHash      [sha256.Size]byte
	resourceVersion string
}

// Apply makes the cluster hold obj's intent. obj must be a typed object with
// its scheme registered in the client; it is not modified. It reports
// whether a write was sent.
func (a *Applier) Apply(ctx context.Context, obj client.Object) (bool, error) {
	gvk, err := apiutil.GVKForObject(obj, a.Client.Scheme())
	if err != nil {
		return false, err
	}
	intent, err := toIntent(obj, gvk)
	if err != nil {
		return false, err
	}
	hash, err := hashOf(intent)
	if err != nil {
		return false, err
	}
	key := objectKey{gvk: gvk, namespace: obj.GetNamespace(), name: obj.GetName()}

	if a.upToDate(ctx, key, hash) {
		return false, nil
	}
	if err := a.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(intent),
		client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return true, fmt.Errorf("applying %s %s/%s: %w", gvk.Kind, key.namespace, key.name, err)
	}
	a.remember(key, appliedState{intentHash: hash, resourceVersion: intent.GetResourceVersion()})
	return true, nil
}

// Delete removes obj if it exists; it is not an error when it does not.
func (a *Applier) Delete(ctx context.Context, obj client.Object) error {
	gvk, err := apiutil.GVKForObject(obj, a.Client.Scheme())
	if err != nil {
		return err
	}
	a.forget(objectKey{gvk: gvk, namespace: obj.GetNamespace(), name: obj.GetName()})
	if err := a.Client.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s/%s: %w", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// ForgetNamed drops what the Applier remembers of the objects of any kind
// with these names in the namespace. Owners call it when they are gone:
// their children go by garbage collection, which the Applier never sees,
// and without it each deleted owner would leave entries behind for as long
// as the manager runs.
func (a *Applier) ForgetNamed(namespace string, names ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for key := range a.applied {
		if key.namespace == namespace && slices.Contains(names, key.name) {
			delete(a.applied, key)
		}
	}
}

func (a *Applier) upToDate(ctx context.Context, key objectKey, hash [sha256.Size]byte) bool {
	a.mu.Lock()
	last, ok := a.applied[key]
	a.mu.Unlock()
	if !ok || last.intentHash != hash {
		return false
	}
	if hasVersion(ctx, a.Reader, key, last.resourceVersion) {
		return true
	}
	return a.LiveReader != nil && hasVersion(ctx, a.LiveReader, key, last.resourceVersion)
}

// hasVersion says whether the reader holds the object at resourceVersion.
func hasVersion(ctx context.Context, reader client.Reader, key objectKey, resourceVersion string) bool {
	// Metadata is all the comparison needs; reading it keeps the manager's
	// cache of children to metadata, not whole rule files and configs.
	current := &metav1.PartialObjectMetadata{}
	current.SetGroupVersionKind(key.gvk)
	if err := reader.Get(ctx, client.ObjectKey{Namespace: key.namespace, Name: key.name}, current); err != nil {
		return false
	}
	return current.GetResourceVersion() == resourceVersion
}

func (a *Applier) remember(key objectKey, state appliedState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.applied == nil {
		a.applied = map[objectKey]appliedState{}
	}
	a.applied[key] = state
}

func (a *Applier) forget(key objectKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.applied, key)
}

// toIntent turns a typed object into the unstructured intent to apply:
// status and creation timestamps are not ours to set, and a zero
// creationTimestamp would be sent as null.
func toIntent(obj client.Object, gvk schema.GroupVersionKind) (*unstructured.Unstructured, error) {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	intent := &unstructured.Unstructured{Object: content}
	intent.SetGroupVersionKind(gvk)
	unstructured.RemoveNestedField(intent.Object, "status")
	unstructured.RemoveNestedField(intent.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(intent.Object, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(intent.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(intent.Object, "spec", "template", "metadata", "creationTimestamp")
	return intent, nil
}

// hashOf is kept as raw bytes: the Applier holds one per child, and a hex
// string would double it.
func hashOf(intent *unstructured.Unstructured) ([sha256.Size]byte, error) {
	data, err := json.Marshal(intent.Object)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(data), nil
}
