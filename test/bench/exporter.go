package main

import (
	"bufio"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/journeymap/journey-operator/internal/series"
)

// exporter stands in for the collectors of every journey of a scale: it
// serves the journey_probe_* series journey-probe would, for every
// touchpoint, with results the benchmark controls. Runs are counted from
// the clock, one per probeInterval, so the counters grow as a real
// collector's do however often Prometheus scrapes.
type exporter struct {
	touchpoints []exportedTouchpoint
	started     time.Time

	mu sync.Mutex
	// failing are the touchpoints whose runs fail from now on.
	failing map[int]bool
	// counts are each touchpoint's runs so far by result.
	counts []runCounts
}

type exportedTouchpoint struct{ journey, stage, touchpoint, persona string }

type runCounts struct {
	counted, succeeded, failed int
}

// probeInterval is how often a synthetic run happens, as the samples'
// default probe interval.
const probeInterval = 15 * time.Second

// runDuration is every run's duration: well inside the benchmark's 800ms
// latency objective.
const runDuration = 0.12

// durationBuckets are the histogram's upper bounds, those of journey-probe
// around the objective.
var durationBuckets = []string{"0.25", "0.5", "1", "2.5", "+Inf"}

func newExporter(j journeys) *exporter {
	e := &exporter{started: time.Now(), failing: map[int]bool{}}
	for _, m := range j.maps {
		for _, s := range m.Spec.Stages {
			for _, t := range s.Touchpoints {
				e.touchpoints = append(e.touchpoints, exportedTouchpoint{journey: m.Name, stage: s.Name, touchpoint: t.Name, persona: m.Spec.PersonaRef.Name})
			}
		}
	}
	e.counts = make([]runCounts, len(e.touchpoints))
	return e
}

// fail makes the runs of the touchpoints at these indexes fail from the
// next run on.
func (e *exporter) fail(indexes []int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advanceLocked()
	for _, i := range indexes {
		e.failing[i] = true
	}
}

// advanceLocked credits the runs that happened since the last scrape.
func (e *exporter) advanceLocked() {
	runs := int(time.Since(e.started)/probeInterval) + 1
	for i := range e.counts {
		c := &e.counts[i]
		if n := runs - c.counted; n > 0 {
			if e.failing[i] {
				c.failed += n
			} else {
				c.succeeded += n
			}
			c.counted = runs
		}
	}
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	e.advanceLocked()
	counts := append([]runCounts(nil), e.counts...)
	failing := make(map[int]bool, len(e.failing))
	for i := range e.failing {
		failing[i] = true
	}
	e.mu.Unlock()

	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	out := bufio.NewWriterSize(w, 1<<16)
	// bufio keeps the first write error and Flush returns it.
	printf := func(format string, args ...any) { _, _ = fmt.Fprintf(out, format, args...) }
	printf("# TYPE %s gauge\n# TYPE %s counter\n# TYPE %s histogram\n", series.ProbeSuccess, series.ProbeTotal, series.ProbeDuration)
	for i, t := range e.touchpoints {
		labels := fmt.Sprintf(`namespace=%q,journey=%q,stage=%q,touchpoint=%q,persona=%q,probe="%s/%s"`,
			namespace, t.journey, t.stage, t.touchpoint, t.persona, t.journey, t.touchpoint)
		c := counts[i]
		success := 1
		if failing[i] {
			success = 0
		}
		printf("%s{%s} %d\n", series.ProbeSuccess, labels, success)
		printf("%s{%s,result=\"success\",reason=\"ok\"} %d\n", series.ProbeTotal, labels, c.succeeded)
		if c.failed > 0 {
			printf("%s{%s,result=\"failure\",reason=\"status\"} %d\n", series.ProbeTotal, labels, c.failed)
		}
		runs := c.succeeded + c.failed
		for _, le := range durationBuckets {
			printf("%s_bucket{%s,le=%q} %d\n", series.ProbeDuration, labels, le, runs)
		}
		printf("%s_sum{%s} %g\n%s_count{%s} %d\n", series.ProbeDuration, labels, float64(runs)*runDuration, series.ProbeDuration, labels, runs)
	}
	_ = out.Flush() // a scrape cut short is Prometheus' to report
}
