package apply

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/journeymap/journey-operator/internal/controlplane"
)

// The Applier runs against a real apiserver: whether a server-side apply
// changes an object, and which resourceVersion it answers with, is the
// apiserver's business and the point of these tests.
func TestApplier(t *testing.T) {
	env, err := controlplane.Start(controlplane.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	c := env.Client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}); err != nil {
		t.Fatal(err)
	}
	collectorConfig := func(name, interval string) *corev1.ConfigMap {
		return &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app.kubernetes.io/managed-by": "journey-operator"}},
			Data:       map[string]string{"interval": interval},
		}
	}
	mustApply := func(t *testing.T, a *Applier, obj client.Object, wantWrite bool) Result {
		t.Helper()
		res, err := a.Apply(ctx, obj)
		if err != nil {
			t.Fatal(err)
		}
		if res.Written != wantWrite {
			t.Fatalf("applying %s: wrote %v, want %v", obj.GetName(), res.Written, wantWrite)
		}
		return res
	}
	dataOf := func(t *testing.T, name string) string {
		t.Helper()
		got := &corev1.ConfigMap{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: name}, got); err != nil {
			t.Fatal(err)
		}
		return got.Data["interval"]
	}

	t.Run("writes once, then only on change or drift", func(t *testing.T) {
		a := &Applier{Client: c, Reader: c}
		mustApply(t, a, collectorConfig("checkout", "30s"), true)
		mustApply(t, a, collectorConfig("checkout", "30s"), false)

		mustApply(t, a, collectorConfig("checkout", "15s"), true)
		if got := dataOf(t, "checkout"); got != "15s" {
			t.Fatalf("interval %q after a changed intent, want 15s", got)
		}

		edited := &corev1.ConfigMap{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "checkout"}, edited); err != nil {
			t.Fatal(err)
		}
		edited.Data["interval"] = "1h"
		if err := c.Update(ctx, edited); err != nil {
			t.Fatal(err)
		}
		mustApply(t, a, collectorConfig("checkout", "15s"), true)
		if got := dataOf(t, "checkout"); got != "15s" {
			t.Fatalf("interval %q after a hand edit was applied over, want 15s", got)
		}
		mustApply(t, a, collectorConfig("checkout", "15s"), false)
	})

	t.Run("a deleted object is applied again", func(t *testing.T) {
		a := &Applier{Client: c, Reader: c, LagTolerance: time.Nanosecond}
		mustApply(t, a, collectorConfig("signup", "30s"), true)
		if err := c.Delete(ctx, collectorConfig("signup", "")); err != nil {
			t.Fatal(err)
		}
		mustApply(t, a, collectorConfig("signup", "30s"), true)
		if got := dataOf(t, "signup"); got != "30s" {
			t.Fatalf("interval %q after re-creating, want 30s", got)
		}

		if err := a.Delete(ctx, collectorConfig("signup", "")); err != nil {
			t.Fatal(err)
		}
		if err := a.Delete(ctx, collectorConfig("signup", "")); err != nil {
			t.Fatalf("deleting what is already gone: %v", err)
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "signup"}, &corev1.ConfigMap{}); !apierrors.IsNotFound(err) {
			t.Fatalf("signup still there after Delete: %v", err)
		}
		// What this Applier deleted is not deleted again; re-applying
		// creates it.
		deletes := 0
		watching, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
		if err != nil {
			t.Fatal(err)
		}
		counting := &Applier{Client: interceptor.NewClient(watching, interceptor.Funcs{
			Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
				deletes++
				return c.Delete(ctx, obj, opts...)
			},
		}), Reader: c, LagTolerance: time.Nanosecond}
		mustApply(t, counting, collectorConfig("signup", "30s"), true)
		for range 3 {
			if err := counting.Delete(ctx, collectorConfig("signup", "")); err != nil {
				t.Fatal(err)
			}
		}
		if deletes != 1 {
			t.Fatalf("%d delete requests for one object deleted three times, want 1", deletes)
		}
		mustApply(t, counting, collectorConfig("signup", "30s"), true)
		if got := dataOf(t, "signup"); got != "30s" {
			t.Fatalf("interval %q after re-applying a deleted object, want 30s", got)
		}
	})

	t.Run("a cache that has not seen the Applier's own write yet costs a recheck, not a write", func(t *testing.T) {
		lagging := &Applier{Client: c, Reader: emptyCache{}, LagTolerance: time.Hour}
		mustApply(t, lagging, collectorConfig("contacts-sync", "30s"), true)
		res := mustApply(t, lagging, collectorConfig("contacts-sync", "30s"), false)
		if res.RecheckAfter <= 0 || res.RecheckAfter > time.Hour {
			t.Fatalf("recheck after %s, want within the lag tolerance", res.RecheckAfter)
		}
		mustApply(t, lagging, collectorConfig("contacts-sync", "15s"), true)

		// Past the tolerance, a missing object is taken as deleted.
		impatient := &Applier{Client: c, Reader: emptyCache{}, LagTolerance: time.Nanosecond}
		mustApply(t, impatient, collectorConfig("contacts-sync", "30s"), true)
		mustApply(t, impatient, collectorConfig("contacts-sync", "30s"), true)
	})

	t.Run("other writers' status and labels are not drift; edits of applied fields are", func(t *testing.T) {
		a := &Applier{Client: c, Reader: c}
		mustApply(t, a, collectorDeployment(), true)
		live := &appsv1.Deployment{}
		mustGet := func() {
			t.Helper()
			if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "journey-probe-checkout"}, live); err != nil {
				t.Fatal(err)
			}
		}
		// What kube-controller-manager does all day long.
		mustGet()
		live.Status.ObservedGeneration, live.Status.Replicas, live.Status.UpdatedReplicas = live.Generation, 1, 1
		if err := c.Status().Update(ctx, live); err != nil {
			t.Fatal(err)
		}
		mustApply(t, a, collectorDeployment(), false)
		// A label of its own, as Argo CD's tracking adds.
		mustGet()
		live.Labels["app.kubernetes.io/instance"] = "shop"
		if err := c.Update(ctx, live); err != nil {
			t.Fatal(err)
		}
		mustApply(t, a, collectorDeployment(), false)
		mustApply(t, a, collectorDeployment(), false)

		// A hand edit of the spec moves the generation.
		mustGet()
		live.Spec.Replicas = ptr.To[int32](3)
		if err := c.Update(ctx, live); err != nil {
			t.Fatal(err)
		}
		mustApply(t, a, collectorDeployment(), true)
		mustGet()
		if *live.Spec.Replicas != 1 {
			t.Fatalf("replicas %d after the drift was applied over, want 1", *live.Spec.Replicas)
		}
		mustApply(t, a, collectorDeployment(), false)

		// A hand edit of a label the operator sets does not.
		live.Labels["app.kubernetes.io/managed-by"] = "someone"
		if err := c.Update(ctx, live); err != nil {
			t.Fatal(err)
		}
		mustApply(t, a, collectorDeployment(), true)
		mustGet()
		if got := live.Labels["app.kubernetes.io/managed-by"]; got != "journey-operator" {
			t.Fatalf("managed-by label %q after the drift was applied over", got)
		}
	})

	t.Run("an owner read from a cache older than its last status patch is behind", func(t *testing.T) {
		a := &Applier{Client: c, Reader: c}
		cm := collectorConfig("renewal", "30s")
		if err := c.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
		stale := cm.DeepCopy()
		cm.Data["interval"] = "15s"
		if err := c.Update(ctx, cm); err != nil {
			t.Fatal(err)
		}
		a.Wrote(cm)
		if !a.CacheBehind(stale) {
			t.Fatal("the version from before the write is not behind")
		}
		if a.CacheBehind(cm) {
			t.Fatal("the version written is behind")
		}
		if len(a.written) != 0 {
			t.Fatalf("the record of a status write stays after the cache caught up: %v", a.written)
		}
	})

	t.Run("records of objects gone from the cache are swept", func(t *testing.T) {
		a := &Applier{Client: c, Reader: c, LagTolerance: time.Nanosecond}
		mustApply(t, a, collectorConfig("advocacy", "30s"), true)
		mustApply(t, a, collectorConfig("advocacy-rules", "30s"), true)
		if err := c.Delete(ctx, collectorConfig("advocacy", "")); err != nil {
			t.Fatal(err)
		}
		a.lastSweep = time.Time{}
		mustApply(t, a, collectorConfig("advocacy-rules", "30s"), false)
		if _, ok := a.written[objectKey{gvk: corev1.SchemeGroupVersion.WithKind("ConfigMap"), namespace: "shop", name: "advocacy"}]; ok {
			t.Fatal("the deleted ConfigMap is still remembered after a sweep")
		}
		if len(a.written) != 1 {
			t.Fatalf("%d objects remembered, want the one left", len(a.written))
		}

		owner := collectorConfig("advocacy-owner", "30s")
		if err := c.Create(ctx, owner); err != nil {
			t.Fatal(err)
		}
		a.Wrote(owner)
		a.written[objectKey{gvk: corev1.SchemeGroupVersion.WithKind("ConfigMap"), namespace: "shop", name: "advocacy-owner"}] = writtenState{
			resourceVersion: owner.GetResourceVersion(), at: time.Now().Add(-2 * sweepEvery),
		}
		a.lastSweep = time.Time{}
		mustApply(t, a, collectorConfig("advocacy-rules", "30s"), false)
		if len(a.written) != 1 {
			t.Fatalf("an old status write is still remembered after a sweep: %v", a.written)
		}
	})

	t.Run("a terminating namespace is written to once", func(t *testing.T) {
		// Without kube-controller-manager the namespace stays terminating.
		closing := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "closing"}}
		if err := c.Create(ctx, closing); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, closing); err != nil {
			t.Fatal(err)
		}
		applies := 0
		watching, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
		if err != nil {
			t.Fatal(err)
		}
		counting := interceptor.NewClient(watching, interceptor.Funcs{
			Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
				applies++
				return c.Apply(ctx, obj, opts...)
			},
		})
		a := &Applier{Client: counting, Reader: c}
		for _, name := range []string{"support", "renewal-rules", "support"} {
			cm := collectorConfig(name, "30s")
			cm.Namespace = "closing"
			if _, err := a.Apply(ctx, cm); !errors.Is(err, ErrNamespaceTerminating) {
				t.Fatalf("applying into a terminating namespace: %v, want ErrNamespaceTerminating", err)
			}
		}
		if applies != 1 {
			t.Fatalf("%d apply requests into a terminating namespace, want 1", applies)
		}
		if !a.NamespaceTerminating("closing") || a.NamespaceTerminating("shop") {
			t.Fatal("NamespaceTerminating does not tell the terminating namespace from the others")
		}
	})

	t.Run("bad objects fail with their name and are not remembered", func(t *testing.T) {
		a := &Applier{Client: c, Reader: c}
		_, err := a.Apply(ctx, collectorConfig("Not_A_DNS_Name", "30s"))
		if err == nil || !strings.Contains(err.Error(), "ConfigMap shop/Not_A_DNS_Name") {
			t.Fatalf("applying an invalid name: %v, want an error naming the object", err)
		}
		if _, err := a.Apply(ctx, &unknownKind{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "shop"}}); err == nil {
			t.Fatal("applying a kind outside the scheme succeeded")
		}
		if len(a.written) != 0 {
			t.Fatalf("failed applies were remembered: %v", a.written)
		}
	})
}

// collectorDeployment is a small Deployment as the operator applies it.
func collectorDeployment() *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/managed-by": "journey-operator", "app.kubernetes.io/name": "journey-probe"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "journey-probe-checkout", Namespace: "shop", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "journey-probe"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "probe", Image: "journey-probe:test"}}},
			},
		},
	}
}

// emptyCache is a cache that has not seen any object yet.
type emptyCache struct{}

func (emptyCache) Get(_ context.Context, key client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	return apierrors.NewNotFound(schema.GroupResource{}, key.Name)
}

func (emptyCache) List(context.Context, client.ObjectList, ...client.ListOption) error { return nil }

// unknownKind is a kind no scheme knows.
type unknownKind struct {
	metav1.TypeMeta
	metav1.ObjectMeta
}

func (u *unknownKind) DeepCopyObject() runtime.Object {
	out := *u
	return &out
}
