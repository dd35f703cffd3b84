package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/journey"
)

// mapHistory is what the slider replays: the times of its steps and, per
// monitored touchpoint, its health at each step as one letter (H healthy,
// D degraded, C critical, U unknown).
type mapHistory struct {
	Steps       []int64           `json:"steps"`
	Touchpoints map[string]string `json:"touchpoints"`
}

// healthLetter is a health as one letter of the history's strings.
var healthLetter = map[cxv1alpha1.Health]byte{
	cxv1alpha1.HealthHealthy:  'H',
	cxv1alpha1.HealthDegraded: 'D',
	cxv1alpha1.HealthCritical: 'C',
	cxv1alpha1.HealthUnknown:  'U',
}

// serveHistory reads the map's history with one fixed set of range
// queries, whatever the number of touchpoints, and judges each step of
// each monitored touchpoint as the operator would have then.
func (s *MapServer) serveHistory(w http.ResponseWriter, r *http.Request) {
	if s.opts.Prometheus.URL == "" {
		http.Error(w, "history needs --prometheus-url", http.StatusNotFound)
		return
	}
	if !s.waitSynced(r) {
		return
	}
	key := keyOf(r)
	in, ok := s.input(key)
	if !ok {
		http.Error(w, fmt.Sprintf("JourneyMap %s/%s does not exist", key.Namespace, key.Name), http.StatusNotFound)
		return
	}
	var watches []health.Watch
	windows := map[string]bool{}
	monitors := make([]*cxv1alpha1.TouchpointMonitor, 0, len(in.Monitors))
	for i := range in.Monitors {
		if in.Monitors[i].Spec.JourneyMapRef.Name == key.Name {
			monitors = append(monitors, &in.Monitors[i])
		}
	}
	for _, m := range monitors {
		if journey.MonitorOwners(monitors)[m.Spec.Touchpoint] != m.Name {
			continue
		}
		b, ok := journey.Resolve(m, in.Map)
		if !ok {
			continue
		}
		b.Persona = in.Persona
		watch, err := health.WatchOf(b)
		if err != nil {
			continue // the monitor's status says why; it has no history to judge
		}
		watches = append(watches, watch)
		windows[watch.ObjectiveWindow] = true
	}
	var windowList []string
	for w := range windows {
		windowList = append(windowList, w)
	}
	sort.Strings(windowList)
	end := time.Now()
	step := s.opts.History / historySteps
	h, err := health.ReadHistory(r.Context(), s.opts.Prometheus, key.Namespace, windowList, end.Add(-s.opts.History), end, step)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out := mapHistory{Touchpoints: map[string]string{}}
	for _, t := range h.Steps {
		out.Steps = append(out.Steps, t.Unix())
	}
	for _, watch := range watches {
		codes := make([]byte, len(h.Steps))
		for i := range h.Steps {
			codes[i] = healthLetter[h.Verdict(i, watch).Health]
		}
		out.Touchpoints[watch.Touchpoint.Touchpoint] = string(codes)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
