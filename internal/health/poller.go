package health

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// PollerOptions configure a Poller.
type PollerOptions struct {
	ClientOptions
	// Interval is how often health is read; 30s when zero. Each wait is
	// jittered by 10%.
	Interval time.Duration
	// Namespaces scope the queries, as --watch-namespaces scopes the
	// manager; all namespaces when empty.
	Namespaces []string
	// Logger receives the poller's few messages: Prometheus failing and
	// answering again.
	Logger logr.Logger
}

// maxBackoff is how many intervals the poller waits at most between
// attempts while Prometheus fails: the wait doubles from one interval.
const maxBackoff = 5

// Poller reads the health of every touchpoint in scope from Prometheus,
// once per interval for the whole manager, with a fixed set of queries (see
// queries), and keeps the latest snapshot in memory. Reconciles read the
// snapshot instead of querying Prometheus, and the poller enqueues only the
// monitors and maps whose quantised reading changed: a steady touchpoint
// costs no reconcile and no write, however often it is polled.
//
// It is a manager.Runnable; it needs leader election like the controllers
// it feeds, so only the leader polls.
type Poller struct {
	client    *queryClient
	interval  time.Duration
	scope     string
	log       logr.Logger
	monitorCh chan event.GenericEvent
	mapCh     chan event.GenericEvent
	// kick asks for a cycle now: a monitor came with an objective window
	// the last cycle did not read.
	kick chan struct{}

	mu sync.Mutex
	// polled is false until the first cycle ended.
	polled bool
	// err is the last cycle's failure; nil after a good one.
	err    *Unavailable
	latest *snapshot
	// windows are the error-ratio windows the last cycle read.
	windowsRead map[string]bool
	// monitors and maps are the readers of the snapshot, each with the
	// reading it was last given or enqueued for.
	monitors map[types.NamespacedName]*monitorWatch
	maps     map[types.NamespacedName]*mapWatch
	// cycles counts the cycles run, failed ones included.
	cycles int
}

// Watch is what a monitor judges its touchpoint by.
type Watch struct {
	Touchpoint TouchpointKey
	// ObjectiveWindow is the window of the objective, e.g. "28d": it has
	// a recording rule of its own.
	ObjectiveWindow string
	Objective       Objective
}

// Reading is what the latest snapshot says about a touchpoint, judged
// against a monitor's objective.
type Reading struct {
	// Polled is false until the first cycle ended; there is nothing to
	// read yet, and the poller enqueues every reader when there is.
	Polled bool
	// Unreachable is the stable reason the last cycle failed (see
	// Unavailable); empty after a good one. Verdict and Alerts are then
	// empty: a reader keeps what it showed last.
	Unreachable string
	Verdict     Verdict
	Alerts      []Alert
}

// Same says whether a reader would show r and o alike.
func (r Reading) Same(o Reading) bool {
	return r.Polled == o.Polled && r.Unreachable == o.Unreachable && r.Verdict == o.Verdict &&
		slices.EqualFunc(r.Alerts, o.Alerts, func(a, b Alert) bool {
			return a.Name == b.Name && a.Severity == b.Severity && a.SLI == b.SLI && a.Since.Equal(b.Since)
		})
}

// JourneyReading is what the latest snapshot says about a journey.
type JourneyReading struct {
	Polled      bool
	Unreachable string
	// SuccessRatio is the journey success ratio, quantised (FormatRatio);
	// empty without a series.
	SuccessRatio string
	// Conversion is the conversion from the first stage with a KPI query
	// to the last (FormatConversion); Conversions are those into each
	// stage, by stage name. Empty without series.
	Conversion  string
	Conversions []StageConversion
}

// Same says whether a reader would show r and o alike.
func (r JourneyReading) Same(o JourneyReading) bool {
	return r.Polled == o.Polled && r.Unreachable == o.Unreachable && r.SuccessRatio == o.SuccessRatio &&
		r.Conversion == o.Conversion && slices.Equal(r.Conversions, o.Conversions)
}

type monitorWatch struct {
	watch Watch
	sent  Reading
}

type mapWatch struct {
	journey JourneyKey
	sent    JourneyReading
}

// NewPoller builds a Poller; add it to the manager to run it.
func NewPoller(opts PollerOptions) (*Poller, error) {
	client, err := newQueryClient(opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	interval := opts.Interval
	if interval == 0 {
		interval = 30 * time.Second
	}
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	return &Poller{
		client:    client,
		interval:  interval,
		scope:     namespaceScope(opts.Namespaces),
		log:       log,
		monitorCh: make(chan event.GenericEvent, 1024),
		mapCh:     make(chan event.GenericEvent, 1024),
		kick:      make(chan struct{}, 1),
		latest:    newSnapshot(),
		monitors:  map[types.NamespacedName]*monitorWatch{},
		maps:      map[types.NamespacedName]*mapWatch{},
	}, nil
}

// MonitorEvents carries a TouchpointMonitor's name whenever its reading
// changed; give it to the monitor controller with source.Channel.
func (p *Poller) MonitorEvents() <-chan event.GenericEvent { return p.monitorCh }

// MapEvents carries a JourneyMap's name whenever its journey's reading
// changed; give it to the map controller with source.Channel.
func (p *Poller) MapEvents() <-chan event.GenericEvent { return p.mapCh }

// Start polls until ctx ends: at once, then every interval, backing off
// while Prometheus fails. It implements manager.Runnable.
func (p *Poller) Start(ctx context.Context) error {
	failures := 0
	for {
		err := p.Poll(ctx)
		if ctx.Err() != nil {
			return nil
		}
		p.logTransition(err, failures)
		if err != nil {
			failures++
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(p.nextWait(failures)):
		case <-p.kick:
		}
	}
}

// nextWait is the wait before the next cycle: the interval, doubled for
// each failure in a row up to maxBackoff intervals, so a Prometheus that
// struggles is not pressed harder.
func (p *Poller) nextWait(failures int) time.Duration {
	d := p.interval
	for i := 0; i < failures && d < maxBackoff*p.interval; i++ {
		d *= 2
	}
	return wait.Jitter(min(d, maxBackoff*p.interval), 0.1)
}

func (p *Poller) logTransition(err error, failuresBefore int) {
	switch {
	case err != nil && failuresBefore == 0:
		p.log.Info("Prometheus could not be queried; the touchpoints' health is Unknown until it can", "error", err.Error())
	case err == nil && failuresBefore > 0:
		p.log.Info("Prometheus answers again", "failedCycles", failuresBefore)
	}
}

// Poll runs one cycle: the fixed set of queries, bounded together by the
// timeout, then the fan-out to the readers whose reading changed. It
// returns the cycle's failure, which the snapshot records as well.
func (p *Poller) Poll(ctx context.Context) error {
	started := time.Now()
	windows := p.windows()
	read, err := p.read(ctx, windows)
	if ctx.Err() != nil {
		// The manager is stopping: that is no news about Prometheus.
		return ctx.Err()
	}
	result := "success"
	if err != nil {
		result = "failure"
	}
	pollCycles.WithLabelValues(result).Inc()
	defer func() { pollDuration.Observe(time.Since(started).Seconds()) }()
	p.mu.Lock()
	p.cycles++
	p.polled = true
	p.err = nil
	if err != nil {
		// The last good series stay for Touchpoint; readers keep what
		// they showed.
		p.err = err
	} else {
		p.latest = read
		p.windowsRead = map[string]bool{}
		for _, w := range windows {
			p.windowsRead[w] = true
		}
	}
	monitors, maps := p.changedLocked()
	p.mu.Unlock()
	pollEnqueued.WithLabelValues("TouchpointMonitor").Add(float64(len(monitors)))
	pollEnqueued.WithLabelValues("JourneyMap").Add(float64(len(maps)))
	p.enqueue(ctx, p.monitorCh, monitors)
	p.enqueue(ctx, p.mapCh, maps)
	// err is a *Unavailable: a nil one must not become a non-nil error.
	if err != nil {
		return err
	}
	return nil
}

// read runs the queries and files their answers.
func (p *Poller) read(ctx context.Context, windows []string) (*snapshot, *Unavailable) {
	ctx, cancel := context.WithTimeout(ctx, p.client.timeout)
	defer cancel()
	read := newSnapshot()
	for _, q := range queries(windows, p.scope) {
		pollQueries.Inc()
		vector, err := p.client.query(ctx, q.promql)
		if err != nil {
			var u *Unavailable
			if !errors.As(err, &u) {
				u = &Unavailable{Reason: "could not be queried", Err: err}
			}
			return nil, u
		}
		read.file(q, vector)
	}
	return read, nil
}

// windows are the error-ratio windows to read: the short and last-hour
// ones, and the objective window of every monitor reading the snapshot.
func (p *Poller) windows() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	set := map[string]bool{shortWindow: true, lastHourWindow: true}
	for _, m := range p.monitors {
		if m.watch.ObjectiveWindow != "" {
			set[m.watch.ObjectiveWindow] = true
		}
	}
	windows := make([]string, 0, len(set))
	for w := range set {
		windows = append(windows, w)
	}
	sort.Strings(windows)
	return windows
}

// changedLocked finds the readers whose reading differs from the one they
// were last given, and records the new one as given.
func (p *Poller) changedLocked() (monitors, maps []types.NamespacedName) {
	for key, m := range p.monitors {
		if r := p.readingLocked(m.watch); !r.Same(m.sent) {
			m.sent = r
			monitors = append(monitors, key)
		}
	}
	for key, m := range p.maps {
		if r := p.journeyReadingLocked(m.journey); !r.Same(m.sent) {
			m.sent = r
			maps = append(maps, key)
		}
	}
	return monitors, maps
}

func (p *Poller) enqueue(ctx context.Context, ch chan<- event.GenericEvent, keys []types.NamespacedName) {
	for _, key := range keys {
		obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		select {
		case ch <- event.GenericEvent{Object: client.Object(obj)}:
		case <-ctx.Done():
			return
		}
	}
}

// Touchpoint is the latest observation of a touchpoint, with the given
// objective window's ratio; ok says whether the touchpoint had any series
// at all, and err is the last cycle's failure (the observation is then the
// last good one).
func (p *Poller) Touchpoint(key TouchpointKey, objectiveWindow string) (obs Observation, ok bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.latest.touchpoints[key]
	if p.err != nil {
		err = p.err
	}
	return t.observation(objectiveWindow), ok, err
}

// Latest registers the monitor as a reader of its touchpoint and returns
// its reading. From now on the poller enqueues the monitor whenever the
// reading changes; the reading returned counts as given.
func (p *Poller) Latest(monitor types.NamespacedName, w Watch) Reading {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.readingLocked(w)
	p.monitors[monitor] = &monitorWatch{watch: w, sent: r}
	if p.polled && p.err == nil && !p.windowsRead[w.ObjectiveWindow] {
		// Read the new window now rather than show the monitor without
		// its availability for a whole interval.
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	return r
}

func (p *Poller) readingLocked(w Watch) Reading {
	switch {
	case !p.polled:
		return Reading{}
	case p.err != nil:
		return Reading{Polled: true, Unreachable: p.err.Reason}
	}
	obs := p.latest.touchpoints[w.Touchpoint].observation(w.ObjectiveWindow)
	return Reading{Polled: true, Verdict: Judge(obs, w.Objective), Alerts: obs.Alerts}
}

// Journey registers the map as a reader of its journey's success ratio
// and returns the reading, as Latest does for monitors.
func (p *Poller) Journey(journeyMap types.NamespacedName, key JourneyKey) JourneyReading {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.journeyReadingLocked(key)
	p.maps[journeyMap] = &mapWatch{journey: key, sent: r}
	return r
}

func (p *Poller) journeyReadingLocked(key JourneyKey) JourneyReading {
	switch {
	case !p.polled:
		return JourneyReading{}
	case p.err != nil:
		return JourneyReading{Polled: true, Unreachable: p.err.Reason}
	}
	r := JourneyReading{Polled: true}
	if v, ok := p.latest.journeys[key]; ok {
		r.SuccessRatio = FormatRatio(v)
	}
	r.Conversion, r.Conversions = p.latest.funnels[key].conversions()
	return r
}

// ForgetMonitor drops a monitor that is gone; the poller no longer
// enqueues it. A nil Poller forgets nothing.
func (p *Poller) ForgetMonitor(monitor types.NamespacedName) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.monitors, monitor)
}

// ForgetMap drops a map that is gone, as ForgetMonitor does a monitor.
func (p *Poller) ForgetMap(journeyMap types.NamespacedName) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.maps, journeyMap)
}

// Cycles is how many cycles ran, failed ones included.
func (p *Poller) Cycles() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cycles
}
