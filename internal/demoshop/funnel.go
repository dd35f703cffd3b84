package demoshop

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The shop's funnel is the path of the sample marketing-automation
// journey: customers visit the pricing page (stage consideration), a
// share signs up for a trial (purchase), a share of those imports their
// first contacts (onboarding). Customers are simulated, at steady rates
// and shares per plan, so a conversion the operator shows is exactly what
// the shop was told: 48% of Starter visitors sign up, half of them import.
// The counters carry a plan label, the segment the sample persona selects.
type funnelStep struct {
	stage, metric, help string
}

var funnelSteps = []funnelStep{
	{"consideration", "shop_pricing_visits_total", "Pricing page visits."},
	{"purchase", "shop_trial_signups_total", "Trial sign-ups that became a trial."},
	{"onboarding", "shop_contact_imports_total", "First contacts imports of new trials."},
}

// plan is one segment of the simulated customers: visits per second, and
// the share of each step's entrants that reach the next.
type plan struct {
	name            string
	visitsPerSecond float64
	shares          []float64 // per step after the first
}

var plans = []plan{
	{"starter", 2, []float64{0.48, 0.5}},
	{"growth", 0.5, []float64{0.3, 0.7}},
}

// DefaultLeak is the share of a step's customers a leak loses when it
// names none: enough that the conversion falls below half.
const DefaultLeak = 0.7

// funnel holds the simulated customers' counts, advanced to the present
// whenever they are read or a leak changes, so that every moment is
// counted with the leaks of its time and nothing runs in the background.
type funnel struct {
	mu     sync.Mutex
	now    func() time.Time
	last   time.Time
	counts [][]float64 // by plan, by step
	leaks  map[string]float64
}

func newFunnel(now func() time.Time) *funnel {
	f := &funnel{now: now, last: now(), leaks: map[string]float64{}}
	for range plans {
		f.counts = append(f.counts, make([]float64, len(funnelSteps)))
	}
	return f
}

// advanceLocked counts the customers since the last call.
func (f *funnel) advanceLocked() {
	now := f.now()
	dt := now.Sub(f.last).Seconds()
	f.last = now
	if dt <= 0 {
		return
	}
	for i, p := range plans {
		entered := p.visitsPerSecond * dt
		f.counts[i][0] += entered
		for step := 1; step < len(funnelSteps); step++ {
			entered *= p.shares[step-1] * (1 - f.leaks[funnelSteps[step].stage])
			f.counts[i][step] += entered
		}
	}
}

// Leak makes a share (0 to 1) of the customers who would reach a stage
// vanish without a trace: every page and API still answers as before,
// only fewer customers arrive. A share of 0 ends the leak.
func (s *Shop) Leak(stage string, share float64) error {
	if share < 0 || share > 1 || math.IsNaN(share) {
		return fmt.Errorf("leak share %v: want a fraction from 0 to 1", share)
	}
	known := false
	for _, step := range funnelSteps[1:] {
		known = known || step.stage == stage
	}
	if !known {
		return fmt.Errorf("stage %q cannot leak: the funnel's later stages are %s and %s (%s is where it starts)",
			stage, funnelSteps[1].stage, funnelSteps[2].stage, funnelSteps[0].stage)
	}
	f := s.funnel
	f.mu.Lock()
	defer f.mu.Unlock()
	f.advanceLocked()
	if share == 0 {
		delete(f.leaks, stage)
	} else {
		f.leaks[stage] = share
	}
	return nil
}

// metrics serves the funnel counters in the Prometheus text format.
func (s *Shop) metrics(w http.ResponseWriter, _ *http.Request) {
	f := s.funnel
	f.mu.Lock()
	f.advanceLocked()
	var b strings.Builder
	for step, fs := range funnelSteps {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", fs.metric, fs.help, fs.metric)
		for i, p := range plans {
			fmt.Fprintf(&b, "%s{plan=%q} %s\n", fs.metric, p.name, strconv.FormatFloat(math.Floor(f.counts[i][step]), 'f', 0, 64))
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = fmt.Fprint(w, b.String())
}

// setLeak starts a leak: PUT /leaks/purchase?share=0.6.
func (s *Shop) setLeak(w http.ResponseWriter, r *http.Request) {
	share := DefaultLeak
	if q := r.URL.Query().Get("share"); q != "" {
		var err error
		if share, err = strconv.ParseFloat(q, 64); err != nil {
			http.Error(w, fmt.Sprintf("share %q is not a number", q), http.StatusBadRequest)
			return
		}
	}
	if err := s.Leak(r.PathValue("stage"), share); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = fmt.Fprintf(w, "%s now loses %g%% of its customers silently; every page still answers\n", r.PathValue("stage"), share*100)
}

func (s *Shop) clearLeak(w http.ResponseWriter, r *http.Request) {
	if err := s.Leak(r.PathValue("stage"), 0); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = fmt.Fprintf(w, "%s no longer leaks\n", r.PathValue("stage"))
}
