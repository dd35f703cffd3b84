package apply

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
	mustApply := func(t *testing.T, a *Applier, obj client.Object, wantWrite bool) {
		t.Helper()
		wrote, err := a.Apply(ctx, obj)
		if err != nil {
			t.Fatal(err)
		}
		if wrote != wantWrite {
			t.Fatalf("applying %s: wrote %v, want %v", obj.GetName(), wrote, wantWrite)
		}
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
		a := &Applier{Client: c, Reader: c}
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
		err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "signup"}, &corev1.ConfigMap{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("signup still there after Delete: %v", err)
		}
	})

	t.Run("forgetting an owner's children drops only theirs", func(t *testing.T) {
		a := &Applier{Client: c, Reader: c}
		mustApply(t, a, collectorConfig("pricing", "30s"), true)
		mustApply(t, a, collectorConfig("pricing-rules", "30s"), true)
		mustApply(t, a, collectorConfig("contacts", "30s"), true)

		a.ForgetNamed("shop", "pricing", "pricing-rules")
		a.ForgetNamed("elsewhere", "contacts")
		if got := len(a.applied); got != 1 {
			t.Fatalf("%d objects remembered after forgetting two of three, want 1", got)
		}
		mustApply(t, a, collectorConfig("contacts", "30s"), false)
		mustApply(t, a, collectorConfig("pricing", "30s"), true)
	})

	t.Run("a cache lagging behind the Applier's own writes costs a read, not a write", func(t *testing.T) {
		lagging := &Applier{Client: c, Reader: emptyCache{}, LiveReader: c}
		mustApply(t, lagging, collectorConfig("contacts-sync", "30s"), true)
		mustApply(t, lagging, collectorConfig("contacts-sync", "30s"), false)

		if err := c.Delete(ctx, collectorConfig("contacts-sync", "")); err != nil {
			t.Fatal(err)
		}
		mustApply(t, lagging, collectorConfig("contacts-sync", "30s"), true)
		if got := dataOf(t, "contacts-sync"); got != "30s" {
			t.Fatalf("interval %q after re-creating, want 30s", got)
		}

		blind := &Applier{Client: c, Reader: emptyCache{}}
		mustApply(t, blind, collectorConfig("contacts-sync", "30s"), true)
		mustApply(t, blind, collectorConfig("contacts-sync", "30s"), true)
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
		if len(a.applied) != 0 {
			t.Fatalf("failed applies were remembered: %v", a.applied)
		}
	})
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
