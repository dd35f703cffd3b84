// Package probe is the engine of journey-probe, the collector that runs
// synthetic touchpoint checks and exports them as Prometheus metrics. It
// runs what package probeconfig has parsed and validated.
package probe

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// Engine runs the configured probes, each on its own schedule, and records
// their results in Metrics. It is safe for concurrent use.
type Engine struct {
	metrics *Metrics
	log     *slog.Logger
	// sem bounds how many runs are in flight across all probes.
	sem chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	ready  atomic.Bool

	// mu serializes Apply and Stop; probes is only touched under it.
	mu      sync.Mutex
	probes  map[string]*runner
	stopped bool
}

// NewEngine returns an Engine that runs at most maxConcurrency probes at a
// time. It runs nothing until the first Apply.
func NewEngine(m *Metrics, log *slog.Logger, maxConcurrency int) *Engine {
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{
		metrics: m,
		log:     log,
		sem:     make(chan struct{}, max(1, maxConcurrency)),
		ctx:     ctx,
		cancel:  cancel,
		probes:  map[string]*runner{},
	}
}

// errStopped is returned by Apply after Stop.
var errStopped = errors.New("probe engine stopped")

// Apply makes cfg the running configuration. An invalid cfg is rejected as a
// whole and the running probes are left alone. Otherwise probes whose
// definition is unchanged keep running untouched, counters included; changed
// probes are restarted with fresh series; removed probes stop and their
// series are deleted; new probes start.
func (e *Engine) Apply(cfg *probeconfig.Config) error {
	compiled, err := compileConfig(cfg)
	if err != nil {
		return err
	}
	next := make(map[string]*compiledProbe, len(compiled))
	for _, p := range compiled {
		next[p.def.ID] = p
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return errStopped
	}
	var replaced []*runner
	for id, r := range e.probes {
		if p, ok := next[id]; ok && reflect.DeepEqual(p.def, r.probe.def) {
			continue
		}
		r.stop()
		replaced = append(replaced, r)
		delete(e.probes, id)
	}
	// All stops were requested above so they wind down in parallel; a run's
	// results must be recorded before its series are deleted, or the series
	// would come back.
	for _, r := range replaced {
		r.wait()
		e.metrics.delete(r.probe)
	}
	started := 0
	for id, p := range next {
		if _, running := e.probes[id]; running {
			continue
		}
		e.metrics.init(p)
		e.probes[id] = e.start(p)
		started++
	}
	e.ready.Store(true)
	e.log.Info("config applied", "probes", len(next), "started", started,
		"stopped", len(replaced), "unchanged", len(next)-started)
	return nil
}

// Ready reports whether a configuration has been applied.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Stop ends every probe and waits for runs in flight to finish.
func (e *Engine) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = true
	e.cancel()
	for _, r := range e.probes {
		r.wait()
	}
}
