// Package schedule answers questions about time windows — maintenance
// windows, opening hours — as the API's TimeWindow describes them: is a moment
// inside, when does the window end, when does it next open, do two windows
// overlap.
//
// It depends on the standard library only, so the operator, the CLI and the
// collector (journey-probe) share one reading of a window. The time zone
// database is embedded, because a distroless image has none.
package schedule

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // windows name explicit IANA zones; images carry no zoneinfo
)

// Spec is a window as written in the API (v1alpha1.TimeWindow) and in the
// collector's configuration.
type Spec struct {
	Name     string   `json:"name"`
	Start    string   `json:"start"`
	Duration string   `json:"duration"`
	Days     []string `json:"days,omitempty"`
	TimeZone string   `json:"timeZone"`
}

// Window is a compiled Spec.
type Window struct {
	name string
	// once is the opening of a one-off window; zero for a repeating one.
	once         time.Time
	hour, minute int
	// days[time.Weekday] is true where a repeating window opens.
	days     [7]bool
	duration time.Duration
	loc      *time.Location
}

var (
	timeOfDayRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
	durationRE  = regexp.MustCompile(`^([1-9][0-9]{0,4})(m|h|d|w)$`)
)

// ParseDuration reads a whole number and one unit of m, h, d or w, the form
// the API uses for objective windows and time windows. A day is 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("duration %q must be a positive whole number and one unit of m, h, d or w, e.g. \"90m\"", s)
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, nil
}

// Compile checks a Spec and prepares it for the questions below. Its errors
// name the window and what to fix; an unknown time zone is one of them,
// because the apiserver cannot know the time zone database.
func Compile(s Spec) (Window, error) {
	w := Window{name: s.Name}
	if s.TimeZone == "" || s.TimeZone == "Local" {
		return w, fmt.Errorf("window %s: timeZone must name an IANA time zone such as \"Europe/Berlin\" or \"UTC\"", s.Name)
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return w, fmt.Errorf("window %s: unknown time zone %q; use an IANA name such as \"Europe/Berlin\" or \"UTC\"", s.Name, s.TimeZone)
	}
	w.loc = loc
	if w.duration, err = ParseDuration(s.Duration); err != nil {
		return w, fmt.Errorf("window %s: %w", s.Name, err)
	}
	if m := timeOfDayRE.FindStringSubmatch(s.Start); m != nil {
		w.hour, _ = strconv.Atoi(m[1])
		w.minute, _ = strconv.Atoi(m[2])
		if len(s.Days) == 0 {
			w.days = [7]bool{true, true, true, true, true, true, true}
			if w.duration >= 24*time.Hour {
				return w, fmt.Errorf("window %s repeats every day and must last less than 24h", s.Name)
			}
		}
		for _, d := range s.Days {
			day, ok := weekdays[d]
			if !ok {
				return w, fmt.Errorf("window %s: unknown day %q; use Monday … Sunday", s.Name, d)
			}
			w.days[day] = true
		}
		return w, nil
	}
	if len(s.Days) > 0 {
		return w, fmt.Errorf("window %s: days are for a window that repeats at a time of day; a window on a date happens once", s.Name)
	}
	once, err := time.ParseInLocation("2006-01-02T15:04", s.Start, loc)
	if err != nil {
		return w, fmt.Errorf("window %s: start %q must be a time of day such as \"02:00\" or a date and time such as \"2026-12-24T22:00\"", s.Name, s.Start)
	}
	w.once = once
	return w, nil
}

var weekdays = map[string]time.Weekday{
	"Sunday": time.Sunday, "Monday": time.Monday, "Tuesday": time.Tuesday, "Wednesday": time.Wednesday,
	"Thursday": time.Thursday, "Friday": time.Friday, "Saturday": time.Saturday,
}

// Name is the window's name.
func (w Window) Name() string { return w.name }

// Duration is how long each occurrence lasts.
func (w Window) Duration() time.Duration { return w.duration }

// Active reports whether t is inside an occurrence of the window (its start
// included, its end excluded) and, if so, when that occurrence ends.
func (w Window) Active(t time.Time) (end time.Time, ok bool) {
	for _, start := range w.starts(t.Add(-w.duration), t) {
		if end := start.Add(w.duration); !t.Before(start) && t.Before(end) {
			return end, true
		}
	}
	return time.Time{}, false
}

// Next is the first occurrence that opens after t; ok is false when there is
// none (a one-off window in the past).
func (w Window) Next(t time.Time) (start, end time.Time, ok bool) {
	if !w.once.IsZero() {
		if !w.once.After(t) {
			return time.Time{}, time.Time{}, false
		}
		return w.once, w.once.Add(w.duration), true
	}
	// Every repeating window opens at least once a week.
	starts := w.starts(t.Add(time.Nanosecond), t.Add(8*24*time.Hour))
	if len(starts) == 0 {
		return time.Time{}, time.Time{}, false
	}
	return starts[0], starts[0].Add(w.duration), true
}

// starts lists the openings in [from, to], in order.
func (w Window) starts(from, to time.Time) []time.Time {
	if !w.once.IsZero() {
		if w.once.Before(from) || w.once.After(to) {
			return nil
		}
		return []time.Time{w.once}
	}
	var out []time.Time
	// Walk civil dates in the window's zone, a day either side so that
	// zone offsets cannot hide an opening.
	f, l := from.In(w.loc), to.In(w.loc)
	last := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, time.UTC)
	for day := time.Date(f.Year(), f.Month(), f.Day()-1, 0, 0, 0, 0, time.UTC); !day.After(last); day = day.AddDate(0, 0, 1) {
		if !w.days[day.Weekday()] {
			continue
		}
		start := w.wallClock(day)
		if !start.Before(from) && !start.After(to) {
			out = append(out, start)
		}
	}
	return out
}

// wallClock is the window's time of day on a civil date. time.Date moves a
// wall-clock time the clocks skip forward by the gap; of one they repeat it
// may take either, so the earlier is picked here explicitly.
func (w Window) wallClock(day time.Time) time.Time {
	t := time.Date(day.Year(), day.Month(), day.Day(), w.hour, w.minute, 0, 0, w.loc)
	_, before := t.Add(-3 * time.Hour).Zone()
	_, after := t.Add(3 * time.Hour).Zone()
	if before > after { // clocks went back around t
		earlier := t.Add(-time.Duration(before-after) * time.Second)
		if e := earlier.In(w.loc); e.Hour() == w.hour && e.Minute() == w.minute {
			return earlier
		}
	}
	return t
}

// Overlap finds two windows of ws whose occurrences overlap — or one window
// whose occurrences run into each other — within the two weeks after from.
// Every repeating window has repeated by then, so a clash that exists shows.
func Overlap(ws []Window, from time.Time) (a, b string, found bool) {
	type occurrence struct {
		name       string
		start, end time.Time
	}
	horizon := from.Add(15 * 24 * time.Hour)
	var all []occurrence
	for _, w := range ws {
		for _, s := range w.starts(from.Add(-w.duration), horizon) {
			all = append(all, occurrence{w.name, s, s.Add(w.duration)})
		}
	}
	slices.SortFunc(all, func(x, y occurrence) int {
		if c := x.start.Compare(y.start); c != 0 {
			return c
		}
		return strings.Compare(x.name, y.name)
	})
	for i := 1; i < len(all); i++ {
		// Sorted by start: if occurrence j opens before an earlier i ends,
		// every occurrence between them does too, so neighbours suffice.
		if all[i].start.Before(all[i-1].end) {
			return all[i-1].name, all[i].name, true
		}
	}
	return "", "", false
}
