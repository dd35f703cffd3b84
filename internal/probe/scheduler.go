package probe

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// runner schedules one probe. Each probe has its own goroutine and timer, so
// a slow target only ever delays its own probe.
type runner struct {
	probe  *compiledProbe
	cancel context.CancelFunc
	// wg counts the schedule loop and the run in flight, if any.
	wg sync.WaitGroup
	// busy is set while a run is waiting for a slot or running.
	busy atomic.Bool
	// last is the reason of the previous run, to log changes rather than
	// every failure. Only the run in flight touches it, and busy orders runs.
	last Reason
}

// start launches p's schedule.
func (e *Engine) start(p *compiledProbe) *runner {
	ctx, cancel := context.WithCancel(e.ctx)
	r := &runner{probe: p, cancel: cancel}
	r.wg.Add(1)
	go r.loop(ctx, e)
	return r
}

func (r *runner) stop() { r.cancel() }
func (r *runner) wait() { r.wg.Wait() }

// loop starts a run every interval. The first run comes after a random part
// of the interval, spreading probes that start together (at start-up, after
// a reload) over the interval instead of firing them all at once.
func (r *runner) loop(ctx context.Context, e *Engine) {
	defer r.wg.Done()
	t := time.NewTimer(rand.N(r.probe.interval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(r.probe.interval)
		// In a maintenance window the probe does not run, so its minutes
		// count no attempts and spend no error budget; the first tick
		// after the window runs it again.
		if e.inMaintenance(r.probe, time.Now()) {
			continue
		}
		// At most one run per probe is pending or in flight: a run still going
		// at the next tick means the tick is skipped, never queued, so a slow
		// target cannot pile up work.
		if !r.busy.CompareAndSwap(false, true) {
			e.log.Debug("probe run skipped: previous run still in progress", "probe", r.probe.def.ID)
			continue
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer r.busy.Store(false)
			e.execute(ctx, r)
		}()
	}
}

// execute runs the probe once within the concurrency limit and records the
// result. The timeout starts when the run gets its slot: time spent waiting
// for one is the collector's delay, not the target's.
func (e *Engine) execute(ctx context.Context, r *runner) {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-e.sem }()

	p := r.probe
	runCtx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	reached := 0
	start := time.Now()
	err := p.checker.check(runCtx, func(step string, took time.Duration, err error) {
		reached++
		if ctx.Err() == nil {
			e.metrics.observeStep(p, step, reasonOf(runCtx, err), took)
		}
	})
	took := time.Since(start)
	// A run cut short because the probe was stopped or replaced says nothing
	// about the target.
	if ctx.Err() != nil {
		return
	}
	for _, step := range p.steps[reached:] {
		e.metrics.forgetStep(p, step)
	}
	reason := reasonOf(runCtx, err)
	e.metrics.observe(p, reason, took)
	r.logResult(e.log, reason, err, took)
}

// logResult logs a failure when the probe starts failing or fails for a new
// reason, and a recovery; repeats of the same failure go to debug, so a
// target that is down for an hour does not flood the log.
func (r *runner) logResult(log *slog.Logger, reason Reason, err error, took time.Duration) {
	prev := r.last
	r.last = reason
	l := r.probe.def.Labels
	attrs := []any{
		"probe", r.probe.def.ID, "namespace", l.Namespace, "journey", l.Journey,
		"stage", l.Stage, "touchpoint", l.Touchpoint, "persona", l.Persona,
		"reason", string(reason), "durationSeconds", took.Seconds(),
	}
	switch {
	case err == nil && prev != "" && prev != ReasonOK:
		log.Info("probe recovered", attrs...)
	case err == nil:
		log.Debug("probe succeeded", attrs...)
	default:
		attrs = append(attrs, "error", err.Error())
		if se, ok := errors.AsType[*stepError](err); ok {
			attrs = append(attrs, "step", se.step)
		}
		if reason != prev {
			log.Warn("probe failing", attrs...)
		} else {
			log.Debug("probe still failing", attrs...)
		}
	}
}

// inMaintenance says whether one of p's maintenance windows is open at
// now, and reports it as journey_maintenance.
func (e *Engine) inMaintenance(p *compiledProbe, now time.Time) bool {
	if len(p.maintenance) == 0 {
		return false
	}
	open := false
	for _, w := range p.maintenance {
		if _, ok := w.Active(now); ok {
			open = true
			break
		}
	}
	e.metrics.maintenance.WithLabelValues(p.labels...).Set(boolFloat(open))
	return open
}
