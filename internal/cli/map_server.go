package cli

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/mapview"
)

// MapServerOptions configure a MapServer.
type MapServerOptions struct {
	// Namespace whose maps are served; all namespaces when empty.
	Namespace string
	// Prometheus is where the history slider reads from; no history when
	// its URL is empty.
	Prometheus health.ClientOptions
	// History is how far back the slider reaches.
	History time.Duration
}

// historySteps is how many steps the slider has, whatever its range: one
// query_range per query of the poller's set, each of this many points.
const historySteps = 144

// keepAlive is how often an idle event stream carries a comment, so that
// proxies keep it open and a dead client is noticed.
const keepAlive = 20 * time.Second

// MapServer serves live journey maps over HTTP. It follows Personas,
// JourneyMaps and TouchpointMonitors with watches (informers: one list,
// then a watch, re-listing and re-watching with backoff when the apiserver
// goes away) and pushes every redrawn map to its open pages as
// server-sent events. It reads, never writes.
type MapServer struct {
	opts      MapServerOptions
	client    client.WithWatch
	maps      toolscache.SharedIndexInformer
	personas  toolscache.SharedIndexInformer
	monitors  toolscache.SharedIndexInformer
	informers []toolscache.SharedIndexInformer
	mux       *http.ServeMux
	synced    chan struct{}
	changed   chan struct{}

	mu        sync.Mutex
	conn      connState
	stateSent time.Time
	subs      map[*subscriber]struct{}
}

// connState is how the server's watches are doing, as the page shows it.
type connState struct {
	Connected bool       `json:"connected"`
	LastHeard *time.Time `json:"lastHeard,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// subscriber is one open page.
type subscriber struct {
	key    types.NamespacedName
	events chan sseEvent
	// last is the drawing last sent; missing says the page was told the
	// map does not exist.
	last    string
	missing bool
}

type sseEvent struct{ name, data string }

// NewMapServer builds a server reading the cluster with cfg; Start runs
// its watches.
func NewMapServer(cfg *rest.Config, opts MapServerOptions) (*MapServer, error) {
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: newScheme()})
	if err != nil {
		return nil, err
	}
	s := &MapServer{opts: opts, client: c, synced: make(chan struct{}), changed: make(chan struct{}, 1), subs: map[*subscriber]struct{}{}}
	s.maps = s.informer(&cxv1alpha1.JourneyMap{}, func() client.ObjectList { return &cxv1alpha1.JourneyMapList{} })
	s.personas = s.informer(&cxv1alpha1.Persona{}, func() client.ObjectList { return &cxv1alpha1.PersonaList{} })
	s.monitors = s.informer(&cxv1alpha1.TouchpointMonitor{}, func() client.ObjectList { return &cxv1alpha1.TouchpointMonitorList{} })
	s.informers = []toolscache.SharedIndexInformer{s.maps, s.personas, s.monitors}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /{$}", s.serveIndex)
	s.mux.HandleFunc("GET /maps/{namespace}/{name}", s.servePage)
	s.mux.HandleFunc("GET /maps/{namespace}/{name}/events", s.serveEvents)
	s.mux.HandleFunc("GET /maps/{namespace}/{name}/map.svg", s.serveSVG)
	s.mux.HandleFunc("GET /maps/{namespace}/{name}/history", s.serveHistory)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return s, nil
}

// MapPath is the path of a map's page.
func MapPath(namespace, name string) string {
	return "/maps/" + url.PathEscape(namespace) + "/" + url.PathEscape(name)
}

// informer follows one kind. Every answer of the apiserver, and every
// failure to get one, tells the server how its connection is doing.
func (s *MapServer) informer(example client.Object, newList func() client.ObjectList) toolscache.SharedIndexInformer {
	lw := &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list := newList()
			err := s.client.List(ctx, list, &client.ListOptions{Namespace: s.opts.Namespace, Raw: &opts})
			s.heard(err)
			return list, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			w, err := s.client.Watch(ctx, newList(), &client.ListOptions{Namespace: s.opts.Namespace, Raw: &opts})
			s.heard(err)
			if err != nil {
				return nil, err
			}
			return newHeardWatch(w, s.heard), nil
		},
	}
	inf := toolscache.NewSharedIndexInformer(lw, example, 0, toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc})
	notify := func() {
		select {
		case s.changed <- struct{}{}:
		default:
		}
	}
	_, _ = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	})
	return inf
}

// heardWatch passes a watch's events on, telling the server it heard
// from the cluster at each, bookmarks included.
type heardWatch struct {
	inner watch.Interface
	out   chan watch.Event
	done  chan struct{}
	once  sync.Once
}

func newHeardWatch(inner watch.Interface, heard func(error)) *heardWatch {
	w := &heardWatch{inner: inner, out: make(chan watch.Event), done: make(chan struct{})}
	go func() {
		defer close(w.out)
		for ev := range inner.ResultChan() {
			if ev.Type == watch.Error {
				heard(fmt.Errorf("%v", apiStatusMessage(ev.Object)))
			} else {
				heard(nil)
			}
			select {
			case w.out <- ev:
			case <-w.done:
				return
			}
		}
	}()
	return w
}

func (w *heardWatch) Stop() {
	w.once.Do(func() { close(w.done) })
	w.inner.Stop()
}

func (w *heardWatch) ResultChan() <-chan watch.Event { return w.out }

func apiStatusMessage(obj runtime.Object) string {
	if st, ok := obj.(*metav1.Status); ok {
		return st.Message
	}
	return "watch error"
}

// heard records an answer from the cluster, or the failure to get one,
// and tells the pages when the connection comes or goes (and, while it
// holds, at most every few seconds when they last heard from it).
func (s *MapServer) heard(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.conn.Connected
	if err != nil {
		s.conn.Connected = false
		s.conn.Error = shortError(err)
	} else {
		now := time.Now().UTC()
		s.conn = connState{Connected: true, LastHeard: &now}
	}
	if was != s.conn.Connected || time.Since(s.stateSent) > 5*time.Second {
		s.stateSent = time.Now()
		ev := s.stateEventLocked()
		for sub := range s.subs {
			s.sendLocked(sub, ev)
		}
	}
}

// shortError is the gist of a client error, for the banner.
func shortError(err error) string {
	msg := err.Error()
	for _, gist := range []string{"connection refused", "connection reset", "EOF", "i/o timeout", "no such host", "forbidden", "Unauthorized"} {
		if strings.Contains(msg, gist) {
			return gist
		}
	}
	if len(msg) > 160 {
		msg = msg[:160] + "…"
	}
	return msg
}

func (s *MapServer) stateEventLocked() sseEvent {
	data, _ := json.Marshal(s.conn)
	return sseEvent{name: "state", data: string(data)}
}

// Start runs the watches until ctx ends, and redraws the open maps on
// every change.
func (s *MapServer) Start(ctx context.Context) error {
	for _, inf := range s.informers {
		go inf.RunWithContext(ctx)
	}
	syncs := make([]toolscache.InformerSynced, len(s.informers))
	for i, inf := range s.informers {
		syncs[i] = inf.HasSynced
	}
	if !toolscache.WaitForCacheSync(ctx.Done(), syncs...) {
		return nil
	}
	close(s.synced)
	for {
		select {
		case <-ctx.Done():
			s.closeAll()
			return nil
		case <-s.changed:
			s.broadcast()
		}
	}
}

// closeAll ends every event stream.
func (s *MapServer) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		close(sub.events)
		delete(s.subs, sub)
	}
}

// ServeHTTP serves the pages, their event streams and history.
func (s *MapServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
	s.mux.ServeHTTP(w, r)
}

// waitSynced waits until the first list of every kind arrived.
func (s *MapServer) waitSynced(r *http.Request) bool {
	select {
	case <-s.synced:
		return true
	case <-r.Context().Done():
		return false
	}
}

// input is what the stores hold about one map; ok is false when the map
// does not exist.
func (s *MapServer) input(key types.NamespacedName) (mapview.Input, bool) {
	obj, exists, _ := s.maps.GetStore().GetByKey(key.Namespace + "/" + key.Name)
	if !exists {
		return mapview.Input{}, false
	}
	in := mapview.Input{Map: obj.(*cxv1alpha1.JourneyMap)}
	if p, ok, _ := s.personas.GetStore().GetByKey(key.Namespace + "/" + in.Map.Spec.PersonaRef.Name); ok {
		in.Persona = p.(*cxv1alpha1.Persona)
	}
	monitors, _ := s.monitors.GetIndexer().ByIndex(toolscache.NamespaceIndex, key.Namespace)
	for _, m := range monitors {
		in.Monitors = append(in.Monitors, *m.(*cxv1alpha1.TouchpointMonitor))
	}
	return in, true
}

func keyOf(r *http.Request) types.NamespacedName {
	return types.NamespacedName{Namespace: r.PathValue("namespace"), Name: r.PathValue("name")}
}

func (s *MapServer) servePage(w http.ResponseWriter, r *http.Request) {
	if !s.waitSynced(r) {
		return
	}
	key := keyOf(r)
	in, ok := s.input(key)
	if !ok {
		// The page waits for the map: the event stream says it is missing
		// and draws it once it is created.
		in = mapview.Input{Map: &cxv1alpha1.JourneyMap{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}}
	}
	opts := mapview.PageOptions{Live: true, EventsPath: MapPath(key.Namespace, key.Name) + "/events"}
	if s.opts.Prometheus.URL != "" {
		opts.HistoryPath = MapPath(key.Namespace, key.Name) + "/history"
	}
	page, err := mapview.Page(in, opts)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, r, "text/html; charset=utf-8", page)
}

func (s *MapServer) serveSVG(w http.ResponseWriter, r *http.Request) {
	if !s.waitSynced(r) {
		return
	}
	in, ok := s.input(keyOf(r))
	if !ok {
		http.NotFound(w, r)
		return
	}
	svg, err := mapview.SVGDocument(in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, r, "image/svg+xml", svg)
}

func (s *MapServer) serveIndex(w http.ResponseWriter, r *http.Request) {
	if !s.waitSynced(r) {
		return
	}
	var entries []mapview.IndexEntry
	for _, obj := range s.maps.GetStore().List() {
		jm := obj.(*cxv1alpha1.JourneyMap)
		entries = append(entries, mapview.IndexEntry{Namespace: jm.Namespace, Name: jm.Name, Health: string(jm.Status.Health), Path: MapPath(jm.Namespace, jm.Name)})
	}
	sort.Slice(entries, func(i, j int) bool {
		return entries[i].Namespace+"/"+entries[i].Name < entries[j].Namespace+"/"+entries[j].Name
	})
	page, err := mapview.Index(entries)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, r, "text/html; charset=utf-8", page)
}

// serveEvents streams a map's drawings and the connection's state.
func (s *MapServer) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	if !s.waitSynced(r) {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // no proxy buffering
	sub := s.subscribe(keyOf(r))
	defer s.unsubscribe(sub)
	_, _ = fmt.Fprint(w, "retry: 2000\n\n")
	flusher.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			_, _ = fmt.Fprint(w, ": keep-alive\n\n")
		case ev, open := <-sub.events:
			if !open {
				return
			}
			writeEvent(w, ev)
		}
		flusher.Flush()
	}
}

// writeEvent writes one server-sent event; every line of the data gets
// its own data field.
func writeEvent(w http.ResponseWriter, ev sseEvent) {
	var b strings.Builder
	b.WriteString("event: " + ev.name + "\n")
	for _, line := range strings.Split(ev.data, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	_, _ = w.Write([]byte(b.String()))
}

// subscribe registers a page and queues what it must show first.
func (s *MapServer) subscribe(key types.NamespacedName) *subscriber {
	sub := &subscriber{key: key, events: make(chan sseEvent, 16)}
	frames := map[types.NamespacedName]frame{}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs[sub] = struct{}{}
	s.sendLocked(sub, s.stateEventLocked())
	s.updateLocked(sub, frames)
	return sub
}

func (s *MapServer) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[sub]; ok {
		delete(s.subs, sub)
		close(sub.events)
	}
}

// sendLocked queues an event; a page too slow to take it is dropped and
// reconnects by itself, to a fresh drawing.
func (s *MapServer) sendLocked(sub *subscriber, ev sseEvent) {
	select {
	case sub.events <- ev:
	default:
		delete(s.subs, sub)
		close(sub.events)
	}
}

// frame is one map's drawing in one broadcast, shared by its pages.
type frame struct {
	svg    string
	exists bool
	err    error
}

// broadcast redraws every open map and sends the drawings that changed.
func (s *MapServer) broadcast() {
	frames := map[types.NamespacedName]frame{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		s.updateLocked(sub, frames)
	}
}

func (s *MapServer) updateLocked(sub *subscriber, frames map[types.NamespacedName]frame) {
	f, drawn := frames[sub.key]
	if !drawn {
		in, exists := s.input(sub.key)
		f.exists = exists
		if exists {
			var svg []byte
			svg, f.err = mapview.Draw(in)
			f.svg = string(svg)
		}
		frames[sub.key] = f
	}
	name := sub.key.Namespace + "/" + sub.key.Name
	switch {
	case f.err != nil:
		s.sendLocked(sub, sseEvent{"deleted", fmt.Sprintf("JourneyMap %s cannot be drawn: %v", name, f.err)})
	case !f.exists && !sub.missing:
		sub.missing = true
		msg := fmt.Sprintf("JourneyMap %s does not exist in the cluster; it is drawn as soon as it is created.", name)
		if sub.last != "" {
			msg = fmt.Sprintf("JourneyMap %s was deleted; this is how it looked last. It is drawn again if it is re-created.", name)
		}
		s.sendLocked(sub, sseEvent{"deleted", msg})
	case f.exists && (f.svg != sub.last || sub.missing):
		sub.missing = false
		sub.last = f.svg
		s.sendLocked(sub, sseEvent{"map", f.svg})
	}
}

// writeBody writes a page, gzipped when the browser takes it: a large map
// is mostly repeated markup and shrinks about tenfold.
func writeBody(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Vary", "Accept-Encoding")
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		_, _ = w.Write(body)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	zw := gzip.NewWriter(w)
	_, _ = zw.Write(body)
	_ = zw.Close() // the client sees a truncated page; there is no one else to tell
}
