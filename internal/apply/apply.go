// Package apply writes the operator's children with server-side apply under
// one field manager, skips the write when nothing can have changed, and
// answers, for children and owners alike, whether the manager's cache has
// seen the operator's own last write yet.
package apply

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// FieldManager owns every field the operator writes.
const FieldManager = "journey-operator"

// ErrNamespaceTerminating is returned, without a request, for writes into a
// namespace the apiserver said is being deleted: everything in it is about
// to go, and retrying would only be refused again.
var ErrNamespaceTerminating = errors.New("namespace is terminating")

// Defaults of the Applier's timings.
const (
	// DefaultLagTolerance is how long after the operator wrote an object the
	// cache may still lack it before the object is taken as deleted.
	DefaultLagTolerance = 2 * time.Second
	// terminatingFor is how long a terminating namespace is left alone
	// before one write is tried again: namespaces finish deleting within
	// it, and a namespace of the same name created later is served again.
	terminatingFor = time.Minute
	// sweepEvery bounds how often forgotten objects are swept out.
	sweepEvery = time.Minute
)

// Applier applies desired objects and keeps the single answer the operator
// has to "the cache has not seen my write yet": for every object it wrote
// (a child by apply, an owner's status by patch) it remembers the
// resourceVersion the apiserver answered with.
//
//   - A child whose intent is unchanged is not written again while the
//     cache shows it at that version, at an older one (the cache lags
//     behind the write; its event is on the way and will requeue the
//     owner), or at a newer one that changed none of the fields the operator
//     applies (status and annotations written by other controllers, e.g.
//     kube-controller-manager updating a Deployment's status).
//   - A child the cache lacks shortly after the operator wrote it is waited
//     for, not written again: Apply asks to be called again after the lag
//     tolerance, and only then takes it as deleted.
//   - An owner whose cached version is older than the operator's last
//     status patch is requeued by its reconciler (CacheBehind) instead of
//     being reconciled from stale data.
//
// What it remembers is bounded by the objects that exist: entries of
// objects the cache no longer holds are swept out, so deleted owners need
// no bookkeeping.
type Applier struct {
	// Client writes to the apiserver.
	Client client.Client
	// Reader reads the current state, normally the manager's cache.
	Reader client.Reader
	// LagTolerance is DefaultLagTolerance when zero.
	LagTolerance time.Duration

	mu          sync.Mutex
	written     map[objectKey]writtenState
	terminating map[string]time.Time
	lastSweep   time.Time
}

// Result says what Apply did.
type Result struct {
	// Written is true when a write was sent.
	Written bool
	// RecheckAfter, when not zero, asks the caller to apply again after
	// this long: the cache did not show a child the operator wrote a
	// moment ago, and only time tells lag from deletion.
	RecheckAfter time.Duration
}

type objectKey struct {
	gvk       schema.GroupVersionKind
	namespace string
	name      string
}

type writtenState struct {
	resourceVersion string
	at              time.Time
	// applied is set for children; owners' status patches leave it nil.
	applied *appliedIntent
	// deleted marks an object this manager deleted: a second delete soon
	// after is skipped (see Delete).
	deleted bool
}

// appliedIntent is what the operator applied: enough to tell a change to
// its own fields from another writer's changes, from metadata alone.
type appliedIntent struct {
	hash [sha256.Size]byte
	// generation answered by the apiserver; it moves with spec changes
	// only, and stays 0 on kinds that do not keep one.
	generation  int64
	labels      map[string]string
	annotations map[string]string
}

// Apply makes the cluster hold obj's intent. obj must be a typed object with
// its scheme registered in the client; it is not modified.
func (a *Applier) Apply(ctx context.Context, obj client.Object) (Result, error) {
	gvk, err := apiutil.GVKForObject(obj, a.Client.Scheme())
	if err != nil {
		return Result{}, err
	}
	key := objectKey{gvk: gvk, namespace: obj.GetNamespace(), name: obj.GetName()}
	if a.NamespaceTerminating(key.namespace) {
		return Result{}, fmt.Errorf("applying %s: %w", key, ErrNamespaceTerminating)
	}
	intent, err := toIntent(obj, gvk)
	if err != nil {
		return Result{}, fmt.Errorf("applying %s: %w", key, err)
	}
	hash, err := hashOf(intent)
	if err != nil {
		return Result{}, fmt.Errorf("applying %s: %w", key, err)
	}
	a.sweep(ctx)

	log := ctrl.LoggerFrom(ctx).V(1).WithValues("kind", gvk.Kind, "name", key.name)
	reason, recheck := a.needsWrite(ctx, key, hash)
	if reason == "" {
		log.Info("skipping apply: nothing the operator applies has changed")
		return Result{RecheckAfter: recheck}, nil
	}
	if err := a.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(intent),
		client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			a.markTerminating(key.namespace)
			return Result{Written: true}, fmt.Errorf("applying %s: %w", key, ErrNamespaceTerminating)
		}
		return Result{Written: true}, fmt.Errorf("applying %s: %w", key, err)
	}
	log.Info("applied", "reason", reason)
	a.remember(key, writtenState{resourceVersion: intent.GetResourceVersion(), at: time.Now(), applied: &appliedIntent{
		hash:        hash,
		generation:  intent.GetGeneration(),
		labels:      maps.Clone(obj.GetLabels()),
		annotations: maps.Clone(obj.GetAnnotations()),
	}})
	return Result{Written: true}, nil
}

// Delete removes obj if it exists; it is not an error when it does not.
func (a *Applier) Delete(ctx context.Context, obj client.Object) error {
	gvk, err := apiutil.GVKForObject(obj, a.Client.Scheme())
	if err != nil {
		return err
	}
	key := objectKey{gvk: gvk, namespace: obj.GetNamespace(), name: obj.GetName()}
	log := ctrl.LoggerFrom(ctx).V(1).WithValues("kind", gvk.Kind, "name", key.name)
	// Only this manager creates its children, so one it deleted within the
	// last minute is still gone: the reconcile that deleted it may run
	// again before its status says so (or, in a namespace being emptied,
	// never get to say so), and would only send the delete again.
	a.mu.Lock()
	last, ok := a.written[key]
	a.mu.Unlock()
	if ok && last.deleted && time.Since(last.at) < sweepEvery {
		log.Info("skipping delete: deleted a moment ago")
		return nil
	}
	if err := a.Client.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		a.forget(key)
		return fmt.Errorf("deleting %s: %w", key, err)
	}
	a.remember(key, writtenState{at: time.Now(), deleted: true})
	log.Info("deleted")
	return nil
}

// Wrote records a write of obj made outside Apply, such as a status patch;
// obj holds what the apiserver answered.
func (a *Applier) Wrote(obj client.Object) {
	gvk, err := apiutil.GVKForObject(obj, a.Client.Scheme())
	if err != nil {
		return
	}
	a.remember(objectKey{gvk: gvk, namespace: obj.GetNamespace(), name: obj.GetName()},
		writtenState{resourceVersion: obj.GetResourceVersion(), at: time.Now()})
}

// CacheBehind says whether obj, as read from the cache, is older than the
// operator's own last write to it. A reconcile of such an object would
// compute its status from before that write and write it again; it is
// requeued instead. Once the cache has caught up, the record goes.
func (a *Applier) CacheBehind(obj client.Object) bool {
	gvk, err := apiutil.GVKForObject(obj, a.Client.Scheme())
	if err != nil {
		return false
	}
	key := objectKey{gvk: gvk, namespace: obj.GetNamespace(), name: obj.GetName()}
	a.mu.Lock()
	defer a.mu.Unlock()
	last, ok := a.written[key]
	if !ok {
		return false
	}
	if olderThan(obj.GetResourceVersion(), last.resourceVersion) {
		return true
	}
	if last.applied == nil {
		delete(a.written, key)
	}
	return false
}

// NamespaceTerminating says whether writes into namespace were refused
// because it is being deleted, within the last minute.
func (a *Applier) NamespaceTerminating(namespace string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	since, ok := a.terminating[namespace]
	if ok && time.Since(since) > terminatingFor {
		delete(a.terminating, namespace)
		return false
	}
	return ok
}

// needsWrite returns why obj must be applied, or "" when it need not be,
// with how long to wait before checking again when that is only known
// later.
func (a *Applier) needsWrite(ctx context.Context, key objectKey, hash [sha256.Size]byte) (string, time.Duration) {
	a.mu.Lock()
	last, ok := a.written[key]
	a.mu.Unlock()
	switch {
	case !ok || last.applied == nil:
		return "not applied by this manager yet, or deleted by it", 0
	case last.applied.hash != hash:
		return "the desired state changed", 0
	}
	cached := &metav1.PartialObjectMetadata{}
	cached.SetGroupVersionKind(key.gvk)
	if err := a.Reader.Get(ctx, client.ObjectKey{Namespace: key.namespace, Name: key.name}, cached); err != nil {
		if !apierrors.IsNotFound(err) {
			return "the cache could not be read: " + err.Error(), 0
		}
		if wait := a.lagTolerance() - time.Since(last.at); wait > 0 {
			return "", wait
		}
		return "deleted", 0
	}
	if !olderThan(last.resourceVersion, cached.GetResourceVersion()) {
		// The cache shows the version written, or one from before it.
		return "", 0
	}
	if drift := driftOf(last.applied, cached); drift != "" {
		return drift, 0
	}
	// Another writer's change that leaves the operator's fields alone:
	// take its version as the new baseline.
	a.mu.Lock()
	if current, ok := a.written[key]; ok && current.resourceVersion == last.resourceVersion {
		current.resourceVersion = cached.GetResourceVersion()
		a.written[key] = current
	}
	a.mu.Unlock()
	return "", 0
}

// driftOf names a change to the fields the operator applies, seen in the
// cached metadata, or returns "". A change of generation is a spec change
// (for Deployments the apiserver also counts annotation changes, so the
// revision kube-controller-manager stamps on a new Deployment costs one
// apply); labels and annotations are compared with what was applied, so
// other writers' own labels do not count.
func driftOf(applied *appliedIntent, cached *metav1.PartialObjectMetadata) string {
	switch {
	case cached.GetGeneration() != applied.generation:
		return "edited by someone else"
	case !containsAll(cached.GetLabels(), applied.labels):
		return "labels changed by someone else"
	case !containsAll(cached.GetAnnotations(), applied.annotations):
		return "annotations changed by someone else"
	case applied.generation == 0:
		// Kinds without a generation (ConfigMaps, Services) give no other
		// way to see a change of their content.
		return "changed by someone else"
	}
	return ""
}

func containsAll(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// olderThan says whether resourceVersion a is older than b. Versions that
// cannot be compared are taken as not older, so a write is never skipped on
// a guess.
func olderThan(a, b string) bool {
	c, err := resourceversion.CompareResourceVersion(a, b)
	return err == nil && c < 0
}

func (a *Applier) lagTolerance() time.Duration {
	if a.LagTolerance > 0 {
		return a.LagTolerance
	}
	return DefaultLagTolerance
}

func (a *Applier) remember(key objectKey, state writtenState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.written == nil {
		a.written = map[objectKey]writtenState{}
	}
	a.written[key] = state
}

func (a *Applier) forget(key objectKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.written, key)
}

func (a *Applier) markTerminating(namespace string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.terminating == nil {
		a.terminating = map[string]time.Time{}
	}
	a.terminating[namespace] = time.Now()
}

// sweep drops, at most once a minute, what is remembered of children the
// cache no longer holds (collected with their owners) and of old status
// writes. Reads of the cache are in memory.
func (a *Applier) sweep(ctx context.Context) {
	a.mu.Lock()
	if time.Since(a.lastSweep) < sweepEvery {
		a.mu.Unlock()
		return
	}
	a.lastSweep = time.Now()
	candidates := make(map[objectKey]time.Time, len(a.written))
	for key, state := range a.written {
		switch {
		case state.applied == nil && time.Since(state.at) > sweepEvery:
			// A status write matters only while the cache lags behind
			// it, milliseconds; one whose owner went before the cache
			// caught up goes by age, without a lookup that would make
			// the cache watch the owners' kinds a second time.
			delete(a.written, key)
		case state.applied != nil && time.Since(state.at) > a.lagTolerance():
			candidates[key] = state.at
		}
	}
	a.mu.Unlock()

	for key, at := range candidates {
		cached := &metav1.PartialObjectMetadata{}
		cached.SetGroupVersionKind(key.gvk)
		if err := a.Reader.Get(ctx, client.ObjectKey{Namespace: key.namespace, Name: key.name}, cached); !apierrors.IsNotFound(err) {
			continue
		}
		a.mu.Lock()
		if state, ok := a.written[key]; ok && state.at.Equal(at) {
			delete(a.written, key)
		}
		a.mu.Unlock()
	}
}

func (k objectKey) String() string {
	return fmt.Sprintf("%s %s/%s", k.gvk.Kind, k.namespace, k.name)
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
	// Typed fields without omitempty (an AlertmanagerConfig's route and
	// receivers) marshal as null, which the apiserver rejects in an
	// apply; unset is what they mean.
	if spec, ok := intent.Object["spec"].(map[string]any); ok {
		for k, v := range spec {
			if v == nil {
				delete(spec, k)
			}
		}
	}
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
