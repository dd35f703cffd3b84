package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// follow watches the objects behind the view with one informer per kind
// (watches, no polling, no periodic resync) and writes a new frame
// whenever the view they make differs from the last one written: changes
// that do not show (a label, another journey's monitor, a status field
// the view leaves out) draw nothing.
func (s *statusSession) follow(ctx context.Context, last []byte, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changed := make(chan struct{}, 1)
	fatal := make(chan error, 1)

	maps := s.informer(&cxv1alpha1.JourneyMapList{}, &cxv1alpha1.JourneyMap{}, changed, fatal, stderr)
	informers := []cache.SharedIndexInformer{maps}
	var personas, monitors cache.SharedIndexInformer
	if s.name != "" {
		personas = s.informer(&cxv1alpha1.PersonaList{}, &cxv1alpha1.Persona{}, changed, fatal, stderr)
		monitors = s.informer(&cxv1alpha1.TouchpointMonitorList{}, &cxv1alpha1.TouchpointMonitor{}, changed, fatal, stderr)
		informers = append(informers, personas, monitors)
	}
	synced := make([]cache.InformerSynced, len(informers))
	for i, inf := range informers {
		synced[i] = inf.HasSynced
		go inf.RunWithContext(ctx)
	}
	syncDone := make(chan bool, 1)
	go func() { syncDone <- cache.WaitForCacheSync(ctx.Done(), synced...) }()
	select {
	case ok := <-syncDone:
		if !ok {
			return nil // interrupted
		}
	case err := <-fatal:
		return err
	}

	for {
		frame, err := s.storeFrame(maps.GetStore(), personas, monitors)
		if err != nil {
			return err
		}
		if !bytes.Equal(frame, last) {
			if _, err := stdout.Write(s.framed(frame, false)); err != nil {
				return err
			}
			last = frame
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-fatal:
			return err
		case <-changed:
		}
	}
}

// informer lists and watches one kind in the session's namespace. Every
// event only signals changed: the frame is computed from the stores, so
// a burst of events draws once.
func (s *statusSession) informer(list client.ObjectList, example client.Object, changed chan<- struct{}, fatal chan<- error, stderr io.Writer) cache.SharedIndexInformer {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			l := list.DeepCopyObject().(client.ObjectList)
			return l, s.client.List(ctx, l, client.InNamespace(s.namespace), &client.ListOptions{Raw: &opts})
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return s.client.Watch(ctx, list.DeepCopyObject().(client.ObjectList), client.InNamespace(s.namespace), &client.ListOptions{Raw: &opts})
		},
	}
	inf := cache.NewSharedIndexInformer(lw, example, 0, cache.Indexers{})
	signal := func() {
		select {
		case changed <- struct{}{}:
		default: // a redraw is already due
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { signal() },
		UpdateFunc: func(any, any) { signal() },
		DeleteFunc: func(any) { signal() },
	})
	kind := reflect.TypeOf(example).Elem().Name()
	// The informer is new and not running: setting its handler cannot fail.
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		switch {
		case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err), apierrors.IsNotFound(err), meta.IsNoMatchError(err):
			select {
			case fatal <- err:
			default:
			}
		case apierrors.IsResourceExpired(err), apierrors.IsGone(err):
			// The informer lists again by itself.
		default:
			_, _ = fmt.Fprintf(stderr, "kubectl journey status: watching %ss: %s; retrying\n", kind, s.explain(err))
		}
	})
	return inf
}

// storeFrame is the view of what the informers hold now.
func (s *statusSession) storeFrame(maps cache.Store, personas, monitors cache.SharedIndexInformer) ([]byte, error) {
	if s.name == "" {
		return s.listFrame(storeItems[cxv1alpha1.JourneyMap](maps))
	}
	item, exists, err := maps.GetByKey(s.namespace + "/" + s.name)
	if err != nil {
		return nil, err
	}
	if !exists {
		return s.goneFrame()
	}
	m := item.(*cxv1alpha1.JourneyMap)
	objs := journeyObjects{Map: m}
	if p, ok, err := personas.GetStore().GetByKey(s.namespace + "/" + m.Spec.PersonaRef.Name); err != nil {
		return nil, err
	} else if ok {
		objs.Persona = p.(*cxv1alpha1.Persona)
	}
	objs.Monitors = monitorsOf(m, storeItems[cxv1alpha1.TouchpointMonitor](monitors.GetStore()))
	return s.treeFrame(objs)
}

// goneFrame is shown while the watched journey does not exist.
func (s *statusSession) goneFrame() ([]byte, error) {
	if s.output == "json" {
		return marshalFrame(map[string]any{"namespace": s.namespace, "name": s.name, "found": false})
	}
	return fmt.Appendf(nil, "JourneyMap %s/%s: not found (deleted?); watching for it to come back\n", s.namespace, s.name), nil
}

func storeItems[T any](store cache.Store) []*T {
	items := store.List()
	out := make([]*T, 0, len(items))
	for _, item := range items {
		if t, ok := item.(*T); ok {
			out = append(out, t)
		}
	}
	return out
}
