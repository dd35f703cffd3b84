package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/journeymap/journey-operator/internal/journey"
)

// History is what Prometheus recorded about the touchpoints of a namespace
// at evenly spaced steps: the poller's snapshot, once per step. It is read
// with the poller's own queries as range queries, so its number of queries
// does not grow with the number of touchpoints either, and judged with
// Judge, so a step shows the health status would have shown then.
type History struct {
	// Steps are the times read, oldest first.
	Steps []time.Time
	snaps []*snapshot
}

// ReadHistory reads the touchpoints of namespace from start to end, one
// step apart; windows are the error-ratio windows to read, as for the
// poller (5m and 1h are always read).
func ReadHistory(ctx context.Context, opts ClientOptions, namespace string, windows []string, start, end time.Time, step time.Duration) (*History, error) {
	if step <= 0 || !end.After(start) {
		return nil, errors.New("history: the range must be a positive duration with a positive step")
	}
	c, err := newQueryClient(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	h := &History{}
	for t := start; !t.After(end); t = t.Add(step) {
		h.Steps = append(h.Steps, t)
		h.snaps = append(h.snaps, newSnapshot())
	}
	endpoint := strings.TrimSuffix(c.endpoint, "/query") + "/query_range"
	seen := map[string]bool{}
	var all []string
	for _, w := range append([]string{shortWindow, lastHourWindow}, windows...) {
		if !seen[w] {
			seen[w] = true
			all = append(all, w)
		}
	}
	for _, q := range queries(all, namespaceScope([]string{namespace})) {
		form := url.Values{
			"query": {q.promql},
			"start": {strconv.FormatInt(start.Unix(), 10)},
			"end":   {strconv.FormatInt(h.Steps[len(h.Steps)-1].Unix(), 10)},
			"step":  {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
		}
		result, err := c.ask(ctx, endpoint, form, model.ValMatrix)
		if err != nil {
			return nil, err
		}
		var matrix model.Matrix
		if err := json.Unmarshal(result, &matrix); err != nil {
			return nil, &Unavailable{Reason: "answered a matrix that does not decode", Err: fmt.Errorf("query %s: %w", q.promql, err)}
		}
		for _, stream := range matrix {
			for _, p := range stream.Values {
				i := int(math.Round(float64(p.Timestamp.Time().Sub(start)) / float64(step)))
				if i < 0 || i >= len(h.snaps) {
					continue
				}
				h.snaps[i].file(q, model.Vector{{Metric: stream.Metric, Value: p.Value, Timestamp: p.Timestamp}})
			}
		}
	}
	return h, nil
}

// Verdict is the health of a touchpoint at step i, judged as the poller
// would have judged it then.
func (h *History) Verdict(i int, w Watch) Verdict {
	return Judge(h.snaps[i].touchpoints[w.Touchpoint].observation(w.ObjectiveWindow), w.Objective)
}

// WatchOf is what a monitor's touchpoint is judged by: its error budget,
// page threshold and severity, latency objective and objective window.
func WatchOf(b journey.TouchpointBinding) (Watch, error) {
	budget, err := b.ErrorBudget()
	if err != nil {
		return Watch{}, err
	}
	objective := Objective{
		Budget:         budget,
		PageErrorRatio: budget * journey.PageBurnRate,
		PageSeverity:   b.PageSeverity(),
	}
	if latency := b.Latency(); latency != nil {
		objective.LatencyThreshold = latency.Threshold.Duration
	}
	return Watch{
		Touchpoint:      TouchpointKey{Namespace: b.Monitor.Namespace, Journey: b.Map.Name, Touchpoint: b.Touchpoint.Name},
		ObjectiveWindow: journey.ObjectiveWindow(b.Monitor),
		Objective:       objective,
	}, nil
}
