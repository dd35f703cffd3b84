package health

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/journeymap/journey-operator/internal/series"
)

// StageConversion is what the latest cycle says about the conversion into
// one stage of a journey, quantised to whole percent ("48%") so that
// noise changes nothing a reader shows.
type StageConversion struct {
	// Stage is the stage entered; From the one before it.
	Stage, From string
	// Now is the conversion over series.FunnelLongWindow; Baseline the
	// same a week earlier. Empty without a series.
	Now, Baseline string
	// Dropped is the conversion over series.FunnelShortWindow while the
	// rules judge it dropped; empty otherwise.
	Dropped string
}

// funnelSeries is what one cycle read about a journey's funnel.
type funnelSeries struct {
	stages  map[string]*conversionSeries
	overall *float64
}

type conversionSeries struct {
	from                   string
	now, baseline, dropped *float64
}

// conversionQuery reads every funnel series of the scope in one query,
// whatever the number of maps and stages.
func conversionQuery(scope string) query {
	names := []string{
		series.StageConversion + series.FunnelLongWindow,
		series.StageConversionBaseline,
		series.StageConversionDropped,
		series.JourneyConversion + series.FunnelLongWindow,
	}
	for i, n := range names {
		names[i] = regexp.QuoteMeta(n)
	}
	return query{
		promql: fmt.Sprintf(`{%s}`, matchers(fmt.Sprintf(`__name__=~"%s"`, strings.Join(names, "|")), scope)),
		file:   fileConversion,
	}
}

// fileConversion files a funnel sample. Where two replicas answer, the
// lower conversion wins, as the worse error ratio does for touchpoints.
func fileConversion(s *snapshot, sample *model.Sample) {
	key := JourneyKey{Namespace: string(sample.Metric["namespace"]), Journey: string(sample.Metric["journey"])}
	f := s.funnels[key]
	if f == nil {
		f = &funnelSeries{stages: map[string]*conversionSeries{}}
		s.funnels[key] = f
	}
	v := float64(sample.Value)
	name := string(sample.Metric[model.MetricNameLabel])
	if name == series.JourneyConversion+series.FunnelLongWindow {
		f.overall = worse(f.overall, v, math.Min)
		return
	}
	stage := string(sample.Metric["stage"])
	c := f.stages[stage]
	if c == nil {
		c = &conversionSeries{from: string(sample.Metric["from_stage"])}
		f.stages[stage] = c
	}
	switch name {
	case series.StageConversion + series.FunnelLongWindow:
		c.now = worse(c.now, v, math.Min)
	case series.StageConversionBaseline:
		c.baseline = worse(c.baseline, v, math.Min)
	case series.StageConversionDropped:
		c.dropped = worse(c.dropped, v, math.Min)
	}
}

// conversions are a funnel's readings, by stage name.
func (f *funnelSeries) conversions() (overall string, stages []StageConversion) {
	if f == nil {
		return "", nil
	}
	for stage, c := range f.stages {
		stages = append(stages, StageConversion{
			Stage: stage, From: c.from,
			Now: FormatConversion(c.now), Baseline: FormatConversion(c.baseline), Dropped: droppedConversion(c.dropped),
		})
	}
	sort.Slice(stages, func(i, j int) bool { return stages[i].Stage < stages[j].Stage })
	return FormatConversion(f.overall), stages
}

// droppedConversion prints a dropped conversion in whole percent rounded
// down, so that it never reads as high as the floor it fell below
// (39.8% under a 40% floor shows 39%, not 40%).
func droppedConversion(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(math.Floor(100**v), 'f', 0, 64) + "%"
}

// FormatConversion prints a conversion in whole percent, e.g. "48%";
// empty for no value.
func FormatConversion(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(math.Round(100**v), 'f', 0, 64) + "%"
}
