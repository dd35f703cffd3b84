package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/apply"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/scheme"
)

// These step tests fail one chosen call of each reconciler, as Flux's
// per-step controller tests do, and check what was written and what the
// status says. A fake client is enough here: the question is what the
// reconciler does with an error, not what the apiserver does; the envtest
// suites cover the rest.

var errInjected = errors.New("injected fault")

// fault fails calls of one verb on one kind ("" matches any), and records
// every call that reached the client.
type fault struct {
	verb, kind string
	calls      []string
}

func (f *fault) hit(c client.Client, verb string, obj any) error {
	kind := kindOf(c.Scheme(), obj)
	f.calls = append(f.calls, verb+" "+kind)
	if verb == f.verb && (f.kind == "" || f.kind == kind) {
		return fmt.Errorf("%s %s: %w", verb, kind, errInjected)
	}
	return nil
}

// called counts the calls of a verb on a kind that reached the client.
func (f *fault) called(verb, kind string) int {
	n := 0
	for _, c := range f.calls {
		if c == verb+" "+kind {
			n++
		}
	}
	return n
}

func kindOf(s *runtime.Scheme, obj any) string {
	switch o := obj.(type) {
	case runtime.ApplyConfiguration:
		if u, ok := o.(interface{ GetKind() string }); ok {
			return u.GetKind()
		}
	case client.ObjectList:
		gvk, err := apiutil.GVKForObject(o, s)
		if err == nil {
			return strings.TrimSuffix(gvk.Kind, "List")
		}
	case runtime.Object:
		if gvk, err := apiutil.GVKForObject(o, s); err == nil {
			return gvk.Kind
		}
	}
	return fmt.Sprintf("%T", obj)
}

func faultyClient(f *fault, objs ...client.Object) client.WithWatch {
	base := fake.NewClientBuilder().
		WithScheme(scheme.New()).
		WithObjects(objs...).
		WithStatusSubresource(&cxv1alpha1.Persona{}, &cxv1alpha1.JourneyMap{}, &cxv1alpha1.TouchpointMonitor{}).
		WithIndex(&cxv1alpha1.TouchpointMonitor{}, monitorJourneyMapIndex, func(o client.Object) []string {
			return []string{o.(*cxv1alpha1.TouchpointMonitor).Spec.JourneyMapRef.Name}
		}).
		WithIndex(&cxv1alpha1.JourneyMap{}, mapPersonaIndex, func(o client.Object) []string {
			return []string{o.(*cxv1alpha1.JourneyMap).Spec.PersonaRef.Name}
		}).
		Build()
	return interceptor.NewClient(base, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if err := f.hit(c, "get", obj); err != nil {
				return err
			}
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if err := f.hit(c, "list", list); err != nil {
				return err
			}
			return c.List(ctx, list, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			if err := f.hit(c, "apply", obj); err != nil {
				return err
			}
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			if err := f.hit(c, "delete", obj); err != nil {
				return err
			}
			return c.Delete(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if err := f.hit(c, "patch-status", obj); err != nil {
				return err
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
}

const faultNamespace = "shop"

func faultPersona() *cxv1alpha1.Persona {
	return &cxv1alpha1.Persona{
		ObjectMeta: metav1.ObjectMeta{Name: "startup-cmo", Namespace: faultNamespace, Generation: 1},
		Spec:       cxv1alpha1.PersonaSpec{DisplayName: "Paige, startup CMO"},
	}
}

func faultMap() *cxv1alpha1.JourneyMap {
	return &cxv1alpha1.JourneyMap{
		ObjectMeta: metav1.ObjectMeta{Name: "trial", Namespace: faultNamespace, Generation: 1},
		Spec: cxv1alpha1.JourneyMapSpec{
			PersonaRef: cxv1alpha1.LocalObjectReference{Name: "startup-cmo"},
			Stages: []cxv1alpha1.Stage{
				{Name: "consideration", Touchpoints: []cxv1alpha1.Touchpoint{{Name: "pricing-page", Channel: "web"}}},
				{Name: "purchase", Touchpoints: []cxv1alpha1.Touchpoint{{Name: "signup", Channel: "web"}}},
			},
		},
	}
}

func faultMonitor(name, touchpoint string) *cxv1alpha1.TouchpointMonitor {
	return &cxv1alpha1.TouchpointMonitor{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: faultNamespace, Generation: 1},
		Spec: cxv1alpha1.TouchpointMonitorSpec{
			JourneyMapRef: cxv1alpha1.LocalObjectReference{Name: "trial"},
			Touchpoint:    touchpoint,
			Probe: &cxv1alpha1.ProbeSpec{HTTP: &cxv1alpha1.HTTPProbe{
				HTTPRequest: cxv1alpha1.HTTPRequest{URL: "https://shop.example.com/" + touchpoint},
			}},
			Objectives: cxv1alpha1.Objectives{Availability: "99.5"},
		},
	}
}

func newMapReconciler(c client.Client) *JourneyMapReconciler {
	return &JourneyMapReconciler{
		Client: c, Applier: &apply.Applier{Client: c, Reader: c}, PrometheusOperator: &PrometheusOperator{},
		ProbeImage: "journey-probe:test", Validity: &validity{},
	}
}

func newMonitorReconciler(c client.Client) *TouchpointMonitorReconciler {
	return &TouchpointMonitorReconciler{
		Client: c, Applier: &apply.Applier{Client: c, Reader: c}, PrometheusOperator: &PrometheusOperator{}, Validity: &validity{},
	}
}

func request(name string) ctrl.Request {
	return ctrl.Request{NamespacedName: types.NamespacedName{Namespace: faultNamespace, Name: name}}
}

func condition(conditions []metav1.Condition, conditionType string) string {
	c := meta.FindStatusCondition(conditions, conditionType)
	if c == nil {
		return "missing"
	}
	return string(c.Status) + "/" + c.Reason
}

func TestMapReconcilerUnderFaults(t *testing.T) {
	cases := []struct {
		name      string
		verb      string
		kind      string
		wantError bool
		// check looks at the calls and the map's status afterwards.
		check func(t *testing.T, f *fault, m *cxv1alpha1.JourneyMap)
	}{
		{
			name: "no fault", check: func(t *testing.T, _ *fault, m *cxv1alpha1.JourneyMap) {
				for _, c := range []string{cxv1alpha1.PersonaResolvedCondition, cxv1alpha1.CollectorReadyCondition, cxv1alpha1.RulesReadyCondition, cxv1alpha1.ReadyCondition} {
					if got := condition(m.Status.Conditions, c); !strings.HasPrefix(got, "True/") {
						t.Errorf("%s is %s, want True", c, got)
					}
				}
				if m.Status.ObservedGeneration != 1 {
					t.Errorf("observedGeneration %d, want 1", m.Status.ObservedGeneration)
				}
			},
		},
		{
			// One failed list must not apply a collector without probes.
			name: "listing the monitors fails", verb: "list", kind: "TouchpointMonitor", wantError: true,
			check: func(t *testing.T, f *fault, m *cxv1alpha1.JourneyMap) {
				if n := f.called("apply", "ConfigMap") + f.called("apply", "Deployment"); n != 0 {
					t.Errorf("%d collector applies after the monitors could not be listed, want 0", n)
				}
				if got := condition(m.Status.Conditions, cxv1alpha1.PersonaResolvedCondition); got != "True/Succeeded" {
					t.Errorf("PersonaResolved is %s: the independent step did not run", got)
				}
				if got := condition(m.Status.Conditions, cxv1alpha1.ReadyCondition); strings.HasPrefix(got, "True") {
					t.Errorf("Ready is %s after a failed reconcile", got)
				}
				if m.Status.ObservedGeneration != 0 {
					t.Errorf("observedGeneration %d recorded for a failed reconcile", m.Status.ObservedGeneration)
				}
			},
		},
		{
			name: "reading the persona fails", verb: "get", kind: "Persona", wantError: true,
			check: func(t *testing.T, f *fault, m *cxv1alpha1.JourneyMap) {
				if f.called("apply", "Deployment") != 1 {
					t.Errorf("the collector was not applied while the persona could not be read: %v", f.calls)
				}
				if got := condition(m.Status.Conditions, cxv1alpha1.CollectorReadyCondition); got != "True/Succeeded" {
					t.Errorf("CollectorReady is %s", got)
				}
			},
		},
		{
			name: "applying the collector fails", verb: "apply", kind: "Deployment", wantError: true,
			check: func(t *testing.T, _ *fault, m *cxv1alpha1.JourneyMap) {
				if got := condition(m.Status.Conditions, cxv1alpha1.CollectorReadyCondition); got != "False/ApplyFailed" {
					t.Errorf("CollectorReady is %s, want False/ApplyFailed", got)
				}
				if got := condition(m.Status.Conditions, cxv1alpha1.RulesReadyCondition); !strings.HasPrefix(got, "True/") {
					t.Errorf("RulesReady is %s: a failing collector held up the rules", got)
				}
				if got := condition(m.Status.Conditions, cxv1alpha1.ReadyCondition); got != "False/ApplyFailed" {
					t.Errorf("Ready is %s, want False/ApplyFailed", got)
				}
			},
		},
		{
			name: "applying the roll-up rules fails", verb: "apply", kind: "ConfigMap", wantError: true,
			check: func(t *testing.T, _ *fault, m *cxv1alpha1.JourneyMap) {
				if got := condition(m.Status.Conditions, cxv1alpha1.RulesReadyCondition); got != "False/ApplyFailed" {
					t.Errorf("RulesReady is %s, want False/ApplyFailed", got)
				}
			},
		},
		{
			name: "patching the status fails", verb: "patch-status", wantError: true,
			check: func(t *testing.T, _ *fault, m *cxv1alpha1.JourneyMap) {
				if len(m.Status.Conditions) != 0 {
					t.Errorf("status written although the patch failed: %v", m.Status.Conditions)
				}
			},
		},
	}
	objects := func() []client.Object {
		return []client.Object{faultPersona(), faultMap(), faultMonitor("pricing-page", "pricing-page"), faultMonitor("signup", "signup")}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runFaultCase(t, &fault{verb: tc.verb, kind: tc.kind}, tc.wantError, objects(),
				func(c client.Client) reconcile.Reconciler { return newMapReconciler(c) }, "trial", &cxv1alpha1.JourneyMap{}, tc.check)
		})
	}
}

// A map whose monitors cannot be listed keeps the collector it has.
func TestMapReconcilerKeepsTheCollectorWhenListingFails(t *testing.T) {
	f := &fault{}
	c := faultyClient(f, faultPersona(), faultMap(), faultMonitor("pricing-page", "pricing-page"), faultMonitor("signup", "signup"))
	r := newMapReconciler(c)
	if _, err := r.Reconcile(context.Background(), request("trial")); err != nil {
		t.Fatal(err)
	}
	before := collectorConfig(t, c)
	if !strings.Contains(before, "pricing-page") || !strings.Contains(before, "signup") {
		t.Fatalf("collector config without the two probes:\n%s", before)
	}
	f.verb, f.kind = "list", "TouchpointMonitor"
	if _, err := r.Reconcile(context.Background(), request("trial")); !errors.Is(err, errInjected) {
		t.Fatalf("Reconcile error %v, want the injected fault", err)
	}
	if after := collectorConfig(t, c); after != before {
		t.Fatalf("one failed list changed the collector config:\n%s\nwas:\n%s", after, before)
	}
}

func collectorConfig(t *testing.T, c client.Client) string {
	t.Helper()
	cm := &unstructured.Unstructured{}
	cm.SetAPIVersion("v1")
	cm.SetKind("ConfigMap")
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: faultNamespace, Name: render.CollectorName("trial")}, cm); err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	return fmt.Sprint(data)
}

func TestMonitorReconcilerUnderFaults(t *testing.T) {
	cases := []struct {
		name      string
		verb      string
		kind      string
		wantError bool
		check     func(t *testing.T, f *fault, m *cxv1alpha1.TouchpointMonitor)
	}{
		{
			name: "no fault", check: func(t *testing.T, _ *fault, m *cxv1alpha1.TouchpointMonitor) {
				if got := condition(m.Status.Conditions, cxv1alpha1.ReadyCondition); !strings.HasPrefix(got, "True/") {
					t.Errorf("Ready is %s", got)
				}
			},
		},
		{
			name: "reading the map fails", verb: "get", kind: "JourneyMap", wantError: true,
			check: func(t *testing.T, f *fault, m *cxv1alpha1.TouchpointMonitor) {
				if n := f.called("apply", "ConfigMap"); n != 0 {
					t.Errorf("%d rule applies without the map", n)
				}
				if m.Status.ObservedGeneration != 0 {
					t.Errorf("observedGeneration %d recorded for a failed reconcile", m.Status.ObservedGeneration)
				}
			},
		},
		{
			name: "listing the sibling monitors fails", verb: "list", kind: "TouchpointMonitor", wantError: true,
			check: func(t *testing.T, f *fault, _ *cxv1alpha1.TouchpointMonitor) {
				if n := f.called("apply", "ConfigMap"); n != 0 {
					t.Errorf("%d rule applies before the touchpoint's monitor was known", n)
				}
			},
		},
		{
			name: "applying the rules fails", verb: "apply", kind: "ConfigMap", wantError: true,
			check: func(t *testing.T, _ *fault, m *cxv1alpha1.TouchpointMonitor) {
				if got := condition(m.Status.Conditions, cxv1alpha1.RulesReadyCondition); got != "False/ApplyFailed" {
					t.Errorf("RulesReady is %s, want False/ApplyFailed", got)
				}
				if got := condition(m.Status.Conditions, cxv1alpha1.ReadyCondition); got != "False/ApplyFailed" {
					t.Errorf("Ready is %s, want False/ApplyFailed", got)
				}
			},
		},
		{
			name: "patching the status fails", verb: "patch-status", wantError: true,
			check: func(t *testing.T, _ *fault, m *cxv1alpha1.TouchpointMonitor) {
				if len(m.Status.Conditions) != 0 {
					t.Errorf("status written although the patch failed: %v", m.Status.Conditions)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runFaultCase(t, &fault{verb: tc.verb, kind: tc.kind}, tc.wantError,
				[]client.Object{faultPersona(), faultMap(), faultMonitor("pricing-page", "pricing-page")},
				func(c client.Client) reconcile.Reconciler { return newMonitorReconciler(c) }, "pricing-page", &cxv1alpha1.TouchpointMonitor{}, tc.check)
		})
	}
}

// runFaultCase reconciles name once with f injected, checks the error and
// the result, and hands the calls made and the object as written to check.
func runFaultCase[T client.Object](t *testing.T, f *fault, wantError bool, objects []client.Object,
	reconciler func(client.Client) reconcile.Reconciler, name string, obj T, check func(*testing.T, *fault, T)) {
	t.Helper()
	c := faultyClient(f, objects...)
	result, err := reconciler(c).Reconcile(context.Background(), request(name))
	if (err != nil) != wantError || (err != nil && !errors.Is(err, errInjected)) {
		t.Fatalf("Reconcile error %v, want an error: %v", err, wantError)
	}
	if err != nil && result.RequeueAfter != 0 {
		t.Errorf("RequeueAfter %s beside an error", result.RequeueAfter)
	}
	f.verb = "" // read back what was written, keeping the calls made
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: faultNamespace, Name: name}, obj); err != nil {
		t.Fatal(err)
	}
	check(t, f, obj)
}

// A monitor whose spec turns invalid must lose its rules; while deleting
// them fails, the error is retried, not taken as terminal, and the
// generation is not recorded as observed.
func TestInvalidMonitorRetriesAFailedRuleDelete(t *testing.T) {
	f := &fault{}
	c := faultyClient(f, faultPersona(), faultMap(), faultMonitor("pricing-page", "pricing-page"))
	r := newMonitorReconciler(c)
	ctx := context.Background()
	if _, err := r.Reconcile(ctx, request("pricing-page")); err != nil {
		t.Fatal(err)
	}
	monitor := &cxv1alpha1.TouchpointMonitor{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: faultNamespace, Name: "pricing-page"}, monitor); err != nil {
		t.Fatal(err)
	}
	if monitor.Status.Rules == nil {
		t.Fatal("no rules recorded after the first reconcile")
	}
	monitor.Spec.Probe.HTTP.BodyRegex = "(unclosed"
	monitor.Generation = 2
	if err := c.Update(ctx, monitor); err != nil {
		t.Fatal(err)
	}

	f.verb, f.kind = "delete", "ConfigMap"
	_, err := r.Reconcile(ctx, request("pricing-page"))
	if !errors.Is(err, errInjected) || isTerminal(err) {
		t.Fatalf("Reconcile error %v: want the transient delete error, not a terminal one", err)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: faultNamespace, Name: "pricing-page"}, monitor); err != nil {
		t.Fatal(err)
	}
	if monitor.Status.ObservedGeneration == 2 {
		t.Fatal("generation 2 recorded as observed while its leftover rules were not deleted")
	}
	if got := condition(monitor.Status.Conditions, cxv1alpha1.StalledCondition); got != "True/InvalidSpec" {
		t.Fatalf("Stalled is %s, want True/InvalidSpec", got)
	}

	*f = fault{}
	_, err = r.Reconcile(ctx, request("pricing-page"))
	if !isTerminal(err) {
		t.Fatalf("Reconcile error %v once the delete succeeds, want a terminal error", err)
	}
	if f.called("delete", "ConfigMap") != 1 {
		t.Fatalf("calls %v: want the rules deleted once", f.calls)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: faultNamespace, Name: "pricing-page"}, monitor); err != nil {
		t.Fatal(err)
	}
	if monitor.Status.ObservedGeneration != 2 || monitor.Status.Rules != nil {
		t.Fatalf("observedGeneration %d, rules %v after the cleanup, want 2 and none", monitor.Status.ObservedGeneration, monitor.Status.Rules)
	}
}

func TestPersonaReconcilerUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name, verb, kind string
	}{
		{name: "listing the maps fails", verb: "list", kind: "JourneyMap"},
		{name: "patching the status fails", verb: "patch-status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fault{verb: tc.verb, kind: tc.kind}
			c := faultyClient(f, faultPersona(), faultMap())
			r := &PersonaReconciler{Client: c, Applier: &apply.Applier{Client: c, Reader: c}}
			result, err := r.Reconcile(context.Background(), request("startup-cmo"))
			if !errors.Is(err, errInjected) || result.RequeueAfter != 0 {
				t.Fatalf("Reconcile: %v, %v; want the injected fault and no RequeueAfter", result, err)
			}
			got := &cxv1alpha1.Persona{}
			if err := c.Get(context.Background(), client.ObjectKey{Namespace: faultNamespace, Name: "startup-cmo"}, got); err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(got.Status.Conditions, func(c metav1.Condition) bool { return c.Status == metav1.ConditionTrue }) {
				t.Fatalf("a condition is True after a failed reconcile: %v", got.Status.Conditions)
			}
			if got.Status.ObservedGeneration != 0 {
				t.Fatalf("observedGeneration %d recorded for a failed reconcile", got.Status.ObservedGeneration)
			}
		})
	}
}
