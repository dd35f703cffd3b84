package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/apply"
	"github.com/journeymap/journey-operator/internal/controller"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/scheme"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

const namespace = "bench"

// result holds the figures of one scale.
type result struct {
	scale scale

	children       int
	rawRate        float64 // children/s the apiserver takes from parallel unthrottled clients
	rawApplyRate   float64 // the same, by server-side apply
	converge       time.Duration
	childRate      float64 // children/s while the operator converges
	convergeWrites []string
	steadyWindow   time.Duration
	steadyWrites   []string
	churnUpdates   int
	churnWrites    []string
	churnP50       time.Duration
	churnP99       time.Duration
	heapIdle       uint64 // manager heap with nothing to reconcile
	heapConverged  uint64 // manager heap after convergence
	driftDeleted   int
	driftRestore   time.Duration
	driftWrites    []string
	// live are the figures of the live-health phase; nil when it did not run.
	live *liveResult
}

func measureScale(ctx context.Context, opts options, sc scale, steady time.Duration) (*result, error) {
	res := &result{scale: sc, steadyWindow: steady}
	root, err := controlplane.RepoRoot()
	if err != nil {
		return nil, err
	}
	env, err := controlplane.Start(controlplane.Options{ExtraCRDPaths: controlplane.MonitoringCRDs(root)})
	if err != nil {
		return nil, err
	}
	defer func() {
		// The measurements are taken; a failed stop is worth knowing, not
		// worth discarding them for.
		if err := env.Stop(); err != nil {
			step(sc, fmt.Sprintf("stopping the control plane: %v", err))
		}
	}()
	fast := rest.CopyConfig(env.Config)
	fast.QPS, fast.Burst = -1, 0 // unthrottled: the physical limit
	c, err := client.NewWithWatch(fast, client.Options{Scheme: env.Scheme})
	if err != nil {
		return nil, err
	}
	for _, ns := range append([]string{namespace}, scratchNamespaces...) {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return nil, err
		}
	}
	journeys := buildJourneys(sc)
	res.children = sc.monitors() + 5*sc.maps

	step(sc, "raw create and apply rates of the children's kinds and sizes")
	if res.rawRate, res.rawApplyRate, err = rawRates(ctx, c, journeys); err != nil {
		return nil, err
	}

	writes := &testenv.WriteCounter{ByResource: true}
	heapBefore := heapInUse()
	mgrCtx, stopManager := context.WithCancel(ctx)
	defer stopManager()
	managerStopped, err := startManager(mgrCtx, env, opts, writes, managerOptions{syncPeriod: max(steady/2, 30*time.Second)})
	if err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second) // caches synced, nothing to do yet
	res.heapIdle = heapInUse() - heapBefore

	step(sc, "cold converge")
	writesBefore := writes.Snapshot()
	start := time.Now()
	if err := forAll(ctx, journeys.objects(), c.Create); err != nil {
		return nil, err
	}
	if err := waitConverged(ctx, c, sc); err != nil {
		return nil, err
	}
	res.converge = time.Since(start)
	res.childRate = float64(res.children) / res.converge.Seconds()
	writes.WaitQuiet(3 * time.Second)
	res.convergeWrites = writes.Since(writesBefore)
	res.heapConverged = heapInUse() - heapBefore
	if opts.memProfile != "" {
		if err := writeHeapProfile(opts.memProfile); err != nil {
			return nil, err
		}
	}

	if opts.onlyLive {
		return res, measureLivePhase(ctx, opts, env, c, sc, journeys, res, stopManager, managerStopped)
	}

	step(sc, fmt.Sprintf("steady state for %s", steady))
	writes.WaitQuiet(3 * time.Second)
	before := writes.Snapshot()
	time.Sleep(steady)
	res.steadyWrites = writes.Since(before)

	step(sc, fmt.Sprintf("churn: %d spec updates/s for %s", opts.churnRate, opts.churn))
	writesBefore = writes.Snapshot()
	if res.churnUpdates, res.churnP50, res.churnP99, err = churn(ctx, c, sc, opts.churnRate, opts.churn); err != nil {
		return nil, err
	}
	if err := waitConverged(ctx, c, sc); err != nil {
		return nil, err
	}
	writes.WaitQuiet(3 * time.Second)
	res.churnWrites = writes.Since(writesBefore)

	step(sc, "drift: delete 1% of the children")
	if res.driftDeleted, res.driftRestore, res.driftWrites, err = drift(ctx, c, writes); err != nil {
		return nil, err
	}
	if !opts.live {
		return res, nil
	}
	return res, measureLivePhase(ctx, opts, env, c, sc, journeys, res, stopManager, managerStopped)
}

// measureLivePhase stops the manager that ran without Prometheus, so that
// the live phase's manager is the only one, and measures live health.
func measureLivePhase(ctx context.Context, opts options, env *controlplane.Env, c client.WithWatch, sc scale, j journeys, res *result,
	stopManager context.CancelFunc, managerStopped <-chan struct{}) error {
	stopManager()
	<-managerStopped
	live, err := measureLive(ctx, opts, env, c, sc, j)
	if err != nil {
		return fmt.Errorf("live health: %w", err)
	}
	res.live = live
	return nil
}

func step(sc scale, what string) {
	fmt.Fprintf(os.Stderr, "   %s %s: %s\n", time.Now().Format("15:04:05"), sc, what)
}

// heapInUse is the live heap after a collection. The manager runs in this
// process, so this is its heap plus the benchmark's own, which holds
// nothing large between measurements; kube-apiserver and etcd are separate
// processes and do not count.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// managerOptions are what differs between the benchmark's managers.
type managerOptions struct {
	syncPeriod time.Duration
	// prometheus and healthInterval turn live health on when the URL is set.
	prometheus     health.ClientOptions
	healthInterval time.Duration
}

// startManager starts a manager in this process; it runs until ctx ends,
// and the channel returned closes when it stopped.
func startManager(ctx context.Context, env *controlplane.Env, opts options, writes *testenv.WriteCounter, mo managerOptions) (<-chan struct{}, error) {
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = float32(opts.qps), opts.burst
	cfg.WrapTransport = writes.Wrap
	cacheOpts := controller.CacheOptions(nil)
	cacheOpts.SyncPeriod = ptr.To(mo.syncPeriod)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.New(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cacheOpts,
		Controller:             config.Controller{MaxConcurrentReconciles: opts.concurrency, SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, err
	}
	if err := controller.SetupWithManager(ctx, mgr, controller.Options{ProbeImage: "journey-probe:bench",
		Prometheus: mo.prometheus, HealthInterval: mo.healthInterval}); err != nil {
		return nil, err
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = mgr.Start(ctx)
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the manager's caches did not sync")
	}
	return stopped, nil
}

// journeys are the objects of one scale.
type journeys struct {
	personas []*cxv1alpha1.Persona
	maps     []*cxv1alpha1.JourneyMap
	monitors []*cxv1alpha1.TouchpointMonitor
}

func (j journeys) objects() []client.Object {
	var out []client.Object
	for _, p := range j.personas {
		out = append(out, p.DeepCopy())
	}
	for _, m := range j.maps {
		out = append(out, m.DeepCopy())
	}
	for _, m := range j.monitors {
		out = append(out, m.DeepCopy())
	}
	return out
}

// buildJourneys makes maps of realistic size: four stages, touchpoints
// spread over them, each with an HTTP probe and a latency objective.
func buildJourneys(sc scale) journeys {
	var j journeys
	stages := []string{"awareness", "consideration", "purchase", "onboarding"}
	for m := range sc.maps {
		persona := &cxv1alpha1.Persona{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("persona-%03d", m), Namespace: namespace},
			Spec:       cxv1alpha1.PersonaSpec{DisplayName: fmt.Sprintf("Persona %d", m), Goals: []string{"Automate lead nurturing"}},
		}
		journey := &cxv1alpha1.JourneyMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("journey-%03d", m), Namespace: namespace},
			Spec: cxv1alpha1.JourneyMapSpec{
				PersonaRef: cxv1alpha1.LocalObjectReference{Name: persona.Name},
				Goal:       "Start a trial and send a first campaign",
				Owner:      "growth",
			},
		}
		for _, s := range stages {
			journey.Spec.Stages = append(journey.Spec.Stages, cxv1alpha1.Stage{
				Name: s, CustomerGoal: "Get through " + s, Emotion: 1, PainPoints: []string{"Too many steps"},
			})
		}
		for t := range sc.touchpoints {
			name := fmt.Sprintf("touchpoint-%03d", t)
			stage := &journey.Spec.Stages[t%len(stages)]
			stage.Touchpoints = append(stage.Touchpoints, cxv1alpha1.Touchpoint{
				Name: name, Channel: cxv1alpha1.ChannelWeb, Criticality: cxv1alpha1.CriticalityHigh, Owner: "web-platform",
			})
			j.monitors = append(j.monitors, &cxv1alpha1.TouchpointMonitor{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%s", journey.Name, name), Namespace: namespace},
				Spec: cxv1alpha1.TouchpointMonitorSpec{
					JourneyMapRef: cxv1alpha1.LocalObjectReference{Name: journey.Name},
					Touchpoint:    name,
					Probe: &cxv1alpha1.ProbeSpec{HTTP: &cxv1alpha1.HTTPProbe{HTTPRequest: cxv1alpha1.HTTPRequest{
						URL: fmt.Sprintf("https://app.example.com/%s/%s", journey.Name, name), ExpectedStatus: []int32{200}, BodyContains: []string{"Starter"},
					}}},
					Objectives: cxv1alpha1.Objectives{Availability: "99.5", Window: "28d",
						Latency: &cxv1alpha1.LatencyObjective{Threshold: metav1.Duration{Duration: 800 * time.Millisecond}}},
				},
			})
		}
		j.personas = append(j.personas, persona)
		j.maps = append(j.maps, journey)
	}
	return j
}

// rawRates writes, with 16 parallel unthrottled clients, the very children
// the operator would write for these journeys, as the operator renders
// them, into scratch namespaces: once created (the physical limit of this
// apiserver and etcd for objects of those kinds and sizes), once by
// server-side apply under the operator's field manager (the same limit for
// the kind of write the operator makes). The scratch objects are deleted
// afterwards so the manager does not cache them.
func rawRates(ctx context.Context, c client.Client, j journeys) (create, applied float64, err error) {
	children, err := renderChildren(j)
	if err != nil {
		return 0, 0, err
	}
	// The first writes of a kind to a fresh apiserver are slow (new
	// storage, watch caches, OpenAPI of just-installed CRDs); warm every
	// kind up first so the rates are those of a running cluster.
	if err := forAll(ctx, inNamespace(children[len(children)-5:], "warmup"), c.Create); err != nil { // a map's five kinds
		return 0, 0, err
	}
	start := time.Now()
	if err := forAll(ctx, inNamespace(children, "raw"), c.Create); err != nil {
		return 0, 0, err
	}
	create = float64(len(children)) / time.Since(start).Seconds()

	applier := &apply.Applier{Client: c, Reader: c}
	start = time.Now()
	if err := forAll(ctx, inNamespace(children, "raw-apply"), func(ctx context.Context, obj client.Object, _ ...client.CreateOption) error {
		_, err := applier.Apply(ctx, obj)
		return err
	}); err != nil {
		return 0, 0, err
	}
	applied = float64(len(children)) / time.Since(start).Seconds()

	for _, ns := range scratchNamespaces {
		for _, kind := range children[len(children)-5:] {
			if err := c.DeleteAllOf(ctx, kind.DeepCopyObject().(client.Object), client.InNamespace(ns)); err != nil {
				return 0, 0, err
			}
		}
	}
	return create, applied, nil
}

var scratchNamespaces = []string{"warmup", "raw", "raw-apply"}

// renderChildren renders what the operator writes for the journeys:
// a PrometheusRule per monitor and five objects per map.
func renderChildren(j journeys) ([]client.Object, error) {
	s := scheme.New()
	var children []client.Object
	byMap := map[string][]journey.TouchpointBinding{}
	for _, m := range j.monitors {
		journeyMap := findMap(j.maps, m.Spec.JourneyMapRef.Name)
		b, _ := journey.Resolve(m, journeyMap)
		byMap[journeyMap.Name] = append(byMap[journeyMap.Name], b)
		rules, err := render.MonitorRules(b)
		if err != nil {
			return nil, err
		}
		rule, err := render.BuildPrometheusRule(rules, s)
		if err != nil {
			return nil, err
		}
		children = append(children, rule)
	}
	for _, journey := range j.maps {
		collector := render.Collector{Map: journey, Probed: byMap[journey.Name], Image: "journey-probe:bench", ServiceMonitor: true}
		cm, err1 := render.BuildCollectorConfigMap(collector, s)
		dep, err2 := render.BuildCollectorDeployment(collector, s)
		svc, err3 := render.BuildCollectorService(collector, s)
		sm, err4 := render.BuildServiceMonitor(collector, s)
		rules, err5 := render.JourneyRules(journey, nil, byMap[journey.Name])
		if err := firstError(err1, err2, err3, err4, err5); err != nil {
			return nil, err
		}
		rule, err := render.BuildPrometheusRule(rules, s)
		if err != nil {
			return nil, err
		}
		children = append(children, cm, dep, svc, sm, rule)
	}
	return children, nil
}

// inNamespace copies objects into a namespace, without owners.
func inNamespace(objs []client.Object, namespace string) []client.Object {
	out := make([]client.Object, 0, len(objs))
	for _, obj := range objs {
		o := obj.DeepCopyObject().(client.Object)
		o.SetNamespace(namespace)
		o.SetOwnerReferences(nil)
		out = append(out, o)
	}
	return out
}

func findMap(maps []*cxv1alpha1.JourneyMap, name string) *cxv1alpha1.JourneyMap {
	for _, m := range maps {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// forAll runs write on every object with 16 parallel workers.
func forAll(ctx context.Context, objs []client.Object, write func(context.Context, client.Object, ...client.CreateOption) error) error {
	work := make(chan client.Object)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for obj := range work {
				if err := write(ctx, obj); err != nil {
					select {
					case errs <- fmt.Errorf("writing %T %s/%s: %w", obj, obj.GetNamespace(), obj.GetName(), err):
					default:
					}
				}
			}
		}()
	}
	for _, obj := range objs {
		work <- obj
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// waitConverged waits until every monitor and map has its generation
// observed and is Ready (a map with every touchpoint covered) and every
// child exists. It watches rather than polls: a list of 5,000 monitors is
// some 15 MB the apiserver under measurement would have to serve again and
// again, and a poll interval would add up to its length to the figure.
func waitConverged(ctx context.Context, c client.WithWatch, sc scale) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	for {
		pending, done, err := watchUntilConverged(ctx, c, sc)
		switch {
		case err != nil:
			return err
		case done:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("not converged after 20 minutes: %s", pending)
		}
		// The apiserver ended a watch: watch again from the current state.
	}
}

// watchUntilConverged follows the monitors and maps from their current
// state; it returns, not done, when a watch ends or the context does.
func watchUntilConverged(ctx context.Context, c client.WithWatch, sc scale) (pending string, done bool, err error) {
	in := client.InNamespace(namespace)
	monitors, err := c.Watch(ctx, &cxv1alpha1.TouchpointMonitorList{}, in)
	if err != nil {
		return "", false, err
	}
	defer monitors.Stop()
	maps, err := c.Watch(ctx, &cxv1alpha1.JourneyMapList{}, in)
	if err != nil {
		return "", false, err
	}
	defer maps.Stop()

	converged := map[string]bool{} // by kind and name
	notConverged := 0
	set := func(key string, deleted, ok bool) {
		if was, seen := converged[key]; seen && !was {
			notConverged--
		}
		delete(converged, key)
		if deleted {
			return
		}
		converged[key] = ok
		if !ok {
			notConverged++
		}
	}
	fullCoverage := fmt.Sprintf("%d/%d", sc.touchpoints, sc.touchpoints)
	recheck := time.NewTicker(time.Second)
	defer recheck.Stop()
	missing := -1       // children, not counted yet
	childrenDue := true // whether to count them once every object converged
	for {
		select {
		case <-ctx.Done():
			return fmt.Sprintf("%d of %d objects seen, %d not ready, %d children missing", len(converged), sc.monitors()+sc.maps, notConverged, missing), false, nil
		case ev, open := <-monitors.ResultChan():
			if !open {
				return "", false, nil
			}
			if m, ok := ev.Object.(*cxv1alpha1.TouchpointMonitor); ok {
				set("TouchpointMonitor/"+m.Name, ev.Type == watch.Deleted, observedAndReady(m.Generation, m.Status.ObservedGeneration, m.Status.Conditions))
			}
		case ev, open := <-maps.ResultChan():
			if !open {
				return "", false, nil
			}
			if m, ok := ev.Object.(*cxv1alpha1.JourneyMap); ok {
				set("JourneyMap/"+m.Name, ev.Type == watch.Deleted, observedAndReady(m.Generation, m.Status.ObservedGeneration, m.Status.Conditions) &&
					m.Status.Coverage != nil && m.Status.Coverage.Summary == fullCoverage)
			}
		case <-recheck.C:
			childrenDue = true
		}
		if notConverged > 0 || len(converged) < sc.monitors()+sc.maps || !childrenDue {
			continue
		}
		if missing, err = missingChildren(ctx, c, sc); err != nil {
			return "", false, err
		}
		if missing == 0 {
			return "", true, nil
		}
		// Objects report Ready only after their children are written, so
		// this is rare; counting on every event would load the apiserver.
		childrenDue = false
	}
}

func observedAndReady(generation, observed int64, conditions []metav1.Condition) bool {
	return observed == generation && meta.IsStatusConditionTrue(conditions, cxv1alpha1.ReadyCondition)
}

// missingChildren counts the children that do not exist yet, listing
// metadata only: the check must not load the apiserver with whole rule files.
func missingChildren(ctx context.Context, c client.Client, sc scale) (int, error) {
	counts := map[string]int{}
	for _, gvk := range childKinds {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := c.List(ctx, list, client.InNamespace(namespace), client.HasLabels{render.ManagedByLabel}); err != nil {
			return 0, err
		}
		counts[gvk.Kind] = len(list.Items)
	}
	return (sc.monitors() + sc.maps - counts["PrometheusRule"]) + (sc.maps - counts["ServiceMonitor"]) +
		(sc.maps - counts["Deployment"]) + (sc.maps - counts["Service"]) + (sc.maps - counts["ConfigMap"]), nil
}

var childKinds = []schema.GroupVersionKind{
	monitoringv1.SchemeGroupVersion.WithKind(monitoringv1.PrometheusRuleKind),
	monitoringv1.SchemeGroupVersion.WithKind(monitoringv1.ServiceMonitorsKind),
	appsv1.SchemeGroupVersion.WithKind("Deployment"),
	corev1.SchemeGroupVersion.WithKind("Service"),
	corev1.SchemeGroupVersion.WithKind("ConfigMap"),
}

// churn updates monitors' specs at a steady rate and measures how long each
// new generation takes to show as observedGeneration, watching from the
// benchmark's side.
func churn(ctx context.Context, c client.WithWatch, sc scale, rate int, duration time.Duration) (int, time.Duration, time.Duration, error) {
	type key struct {
		name       string
		generation int64
	}
	var mu sync.Mutex
	pending := map[key]time.Time{}
	var latencies []time.Duration

	w, err := c.Watch(ctx, &cxv1alpha1.TouchpointMonitorList{}, client.InNamespace(namespace))
	if err != nil {
		return 0, 0, 0, err
	}
	defer w.Stop()
	go func() {
		for ev := range w.ResultChan() {
			m, ok := ev.Object.(*cxv1alpha1.TouchpointMonitor)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			now := time.Now()
			mu.Lock()
			for k, at := range pending {
				if k.name == m.Name && m.Status.ObservedGeneration >= k.generation {
					latencies = append(latencies, now.Sub(at))
					delete(pending, k)
				}
			}
			mu.Unlock()
		}
	}()

	ticker := time.NewTicker(time.Second / time.Duration(rate))
	defer ticker.Stop()
	end := time.Now().Add(duration)
	updates := 0
	for time.Now().Before(end) {
		<-ticker.C
		name := fmt.Sprintf("journey-%03d-touchpoint-%03d", updates%sc.maps, (updates/sc.maps)%sc.touchpoints)
		m := &cxv1alpha1.TouchpointMonitor{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, m); err != nil {
			return 0, 0, 0, err
		}
		if m.Spec.Objectives.Availability == "99.5" {
			m.Spec.Objectives.Availability = "99.4"
		} else {
			m.Spec.Objectives.Availability = "99.5"
		}
		// Pending before the request: the operator can observe the new
		// generation, and the watch report it, before Update returns.
		expected := key{name, m.Generation + 1}
		mu.Lock()
		pending[expected] = time.Now()
		mu.Unlock()
		if err := c.Update(ctx, m); err != nil {
			return 0, 0, 0, err
		}
		if m.Generation != expected.generation {
			return 0, 0, 0, fmt.Errorf("monitor %s: generation %d after a spec update, want %d", name, m.Generation, expected.generation)
		}
		updates++
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		left := len(pending)
		mu.Unlock()
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pending) > 0 {
		var lost []string
		for k := range pending {
			m := &cxv1alpha1.TouchpointMonitor{}
			if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: k.name}, m); err != nil {
				return 0, 0, 0, err
			}
			lost = append(lost, fmt.Sprintf("%s generation %d (now generation %d, observed %d)", k.name, k.generation, m.Generation, m.Status.ObservedGeneration))
		}
		return 0, 0, 0, fmt.Errorf("%d of %d spec updates were never observed: %s", len(pending), updates, strings.Join(lost, "; "))
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	return updates, percentile(latencies, 0.50), percentile(latencies, 0.99), nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// drift deletes every hundredth child and measures how long the operator
// takes to bring all of them back, and how many writes it spends doing so.
func drift(ctx context.Context, c client.Client, writes *testenv.WriteCounter) (int, time.Duration, []string, error) {
	var children []client.Object
	for _, list := range []client.ObjectList{&monitoringv1.PrometheusRuleList{}, &appsv1.DeploymentList{}, &corev1.ServiceList{}, &monitoringv1.ServiceMonitorList{}} {
		if err := c.List(ctx, list, client.InNamespace(namespace), client.HasLabels{render.ManagedByLabel}); err != nil {
			return 0, 0, nil, err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return 0, 0, nil, err
		}
		for _, item := range items {
			children = append(children, item.(client.Object))
		}
	}
	var victims []client.Object
	for i := 0; i < len(children); i += 100 {
		victims = append(victims, children[i])
	}
	before := writes.Snapshot()
	start := time.Now()
	for _, v := range victims {
		if err := c.Delete(ctx, v); err != nil {
			return 0, 0, nil, err
		}
	}
	deadline := time.Now().Add(5 * time.Minute)
	for _, v := range victims {
		for {
			current := v.DeepCopyObject().(client.Object)
			err := c.Get(ctx, client.ObjectKeyFromObject(v), current)
			if err == nil && current.GetUID() != v.GetUID() {
				break
			}
			if time.Now().After(deadline) {
				return 0, 0, nil, fmt.Errorf("%T %s was not restored", v, v.GetName())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	restore := time.Since(start)
	writes.WaitQuiet(3 * time.Second)
	return len(victims), restore, writes.Since(before), nil
}
