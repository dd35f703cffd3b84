package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustCompile(t *testing.T, s Spec) Window {
	t.Helper()
	w, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestActive pins which moments a window covers, including the days the
// clocks change in Europe/Berlin (2026-03-29 forward, 2026-10-25 back).
func TestActive(t *testing.T) {
	nightly := Spec{Name: "nightly", Start: "02:00", Duration: "2h", TimeZone: "Europe/Berlin"}
	cases := []struct {
		name    string
		spec    Spec
		t       string
		active  bool
		wantEnd string
	}{
		{"before a daily window", nightly, "2026-01-14T00:59:59Z", false, ""},
		{"at its start, inclusive", nightly, "2026-01-14T01:00:00Z", true, "2026-01-14T03:00:00Z"},
		{"inside", nightly, "2026-01-14T02:30:00Z", true, "2026-01-14T03:00:00Z"},
		{"at its end, exclusive", nightly, "2026-01-14T03:00:00Z", false, ""},
		{"summer time moves it an hour in UTC", nightly, "2026-07-01T00:30:00Z", true, "2026-07-01T02:00:00Z"},
		{"spring forward: 02:00 is skipped, the window opens at 03:00 CEST", nightly, "2026-03-29T00:59:00Z", false, ""},
		{"spring forward: and lasts two elapsed hours", nightly, "2026-03-29T02:59:00Z", true, "2026-03-29T03:00:00Z"},
		{"fall back: 02:00 happens twice, the window opens at the first", nightly, "2026-10-25T00:00:00Z", true, "2026-10-25T02:00:00Z"},
		{"fall back: two elapsed hours, not until 04:00 wall clock", nightly, "2026-10-25T02:00:00Z", false, ""},
		{"weekly, on a listed day", Spec{Name: "w", Start: "23:00", Duration: "3h", Days: []string{"Saturday"}, TimeZone: "UTC"}, "2026-01-18T01:00:00Z", true, "2026-01-18T02:00:00Z"},
		{"weekly, not on another day", Spec{Name: "w", Start: "23:00", Duration: "3h", Days: []string{"Saturday"}, TimeZone: "UTC"}, "2026-01-15T23:30:00Z", false, ""},
		{"the day is the opening day in the window's zone", Spec{Name: "w", Start: "00:30", Duration: "1h", Days: []string{"Monday"}, TimeZone: "Asia/Tokyo"}, "2026-01-18T15:45:00Z", true, "2026-01-18T16:30:00Z"},
		{"weekend window spanning days", Spec{Name: "w", Start: "20:00", Duration: "2d", Days: []string{"Friday"}, TimeZone: "UTC"}, "2026-01-18T12:00:00Z", true, "2026-01-18T20:00:00Z"},
		{"one-off, inside", Spec{Name: "o", Start: "2026-12-24T22:00", Duration: "90m", TimeZone: "America/New_York"}, "2026-12-25T03:30:00Z", true, "2026-12-25T04:30:00Z"},
		{"one-off, a day later", Spec{Name: "o", Start: "2026-12-24T22:00", Duration: "90m", TimeZone: "America/New_York"}, "2026-12-26T03:30:00Z", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			end, ok := mustCompile(t, tc.spec).Active(at(t, tc.t))
			if ok != tc.active {
				t.Fatalf("active = %v, want %v", ok, tc.active)
			}
			if ok && !end.Equal(at(t, tc.wantEnd)) {
				t.Fatalf("end = %s, want %s", end.UTC().Format(time.RFC3339), tc.wantEnd)
			}
		})
	}
}

func TestNext(t *testing.T) {
	cases := []struct {
		name      string
		spec      Spec
		t         string
		wantStart string // "" for none
	}{
		{"later the same day", Spec{Name: "n", Start: "02:00", Duration: "1h", TimeZone: "UTC"}, "2026-01-14T01:00:00Z", "2026-01-14T02:00:00Z"},
		{"inside: the next opening, not the current", Spec{Name: "n", Start: "02:00", Duration: "1h", TimeZone: "UTC"}, "2026-01-14T02:00:00Z", "2026-01-15T02:00:00Z"},
		{"a week ahead", Spec{Name: "n", Start: "02:00", Duration: "1h", Days: []string{"Wednesday"}, TimeZone: "UTC"}, "2026-01-14T03:00:00Z", "2026-01-21T02:00:00Z"},
		{"spring forward", Spec{Name: "n", Start: "02:30", Duration: "1h", TimeZone: "Europe/Berlin"}, "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z"},
		{"one-off ahead", Spec{Name: "o", Start: "2026-12-24T22:00", Duration: "1h", TimeZone: "UTC"}, "2026-12-01T00:00:00Z", "2026-12-24T22:00:00Z"},
		{"a window may end where the next opens", Spec{Name: "n", Start: "22:00", Duration: "1d", Days: []string{"Monday", "Tuesday"}, TimeZone: "UTC"}, "2026-01-12T22:00:00Z", "2026-01-13T22:00:00Z"},
		{"one-off past", Spec{Name: "o", Start: "2026-12-24T22:00", Duration: "1h", TimeZone: "UTC"}, "2026-12-25T00:00:00Z", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start, end, ok := mustCompile(t, tc.spec).Next(at(t, tc.t))
			if ok != (tc.wantStart != "") {
				t.Fatalf("ok = %v, want a start %q", ok, tc.wantStart)
			}
			if ok && (!start.Equal(at(t, tc.wantStart)) || end.Sub(start) != mustCompile(t, tc.spec).Duration()) {
				t.Fatalf("next = %s … %s, want start %s", start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), tc.wantStart)
			}
		})
	}
}

// TestCompileRejects covers what the apiserver cannot check or a
// hand-written collector file could still hold, each with a message that
// names the window and what to fix.
func TestCompileRejects(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Name: "a", Start: "02:00", Duration: "1h", TimeZone: "Europe/Atlantis"}, `window a: unknown time zone "Europe/Atlantis"`},
		{Spec{Name: "a", Start: "02:00", Duration: "1h", TimeZone: "Local"}, "timeZone must name an IANA time zone"},
		{Spec{Name: "a", Start: "02:00", Duration: "1h"}, "timeZone must name an IANA time zone"},
		{Spec{Name: "a", Start: "02:00", Duration: "0m", TimeZone: "UTC"}, "positive whole number"},
		{Spec{Name: "a", Start: "02:00", Duration: "-1h", TimeZone: "UTC"}, "positive whole number"},
		{Spec{Name: "a", Start: "02:00", Duration: "24h", TimeZone: "UTC"}, "repeats every day and must last less than 24h"},
		{Spec{Name: "a", Start: "2026-02-30T02:00", Duration: "1h", TimeZone: "UTC"}, "must be a time of day"},
		{Spec{Name: "a", Start: "2026-02-03T02:00", Duration: "1h", Days: []string{"Monday"}, TimeZone: "UTC"}, "happens once"},
		{Spec{Name: "a", Start: "02:00", Duration: "1h", Days: []string{"Caturday"}, TimeZone: "UTC"}, `unknown day "Caturday"`},
	} {
		_, err := Compile(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%+v) = %v, want an error saying %q", tc.spec, err, tc.want)
		}
	}
}

func TestOverlap(t *testing.T) {
	from := at(t, "2026-01-14T00:00:00Z")
	cases := []struct {
		name  string
		specs []Spec
		clash string // "a b", or "" for none
	}{
		{"disjoint daily windows", []Spec{
			{Name: "a", Start: "01:00", Duration: "1h", TimeZone: "UTC"},
			{Name: "b", Start: "02:00", Duration: "1h", TimeZone: "UTC"},
		}, ""},
		{"daily windows that overlap by a minute", []Spec{
			{Name: "a", Start: "01:00", Duration: "61m", TimeZone: "UTC"},
			{Name: "b", Start: "02:00", Duration: "1h", TimeZone: "UTC"},
		}, "a b"},
		{"the same hour in two zones", []Spec{
			{Name: "berlin", Start: "02:00", Duration: "1h", TimeZone: "Europe/Berlin"},
			{Name: "utc", Start: "01:30", Duration: "1h", TimeZone: "UTC"},
		}, "berlin utc"},
		{"weekly windows on different days", []Spec{
			{Name: "a", Start: "22:00", Duration: "3h", Days: []string{"Monday"}, TimeZone: "UTC"},
			{Name: "b", Start: "22:00", Duration: "3h", Days: []string{"Wednesday"}, TimeZone: "UTC"},
		}, ""},
		{"a weekly window running into the next day's", []Spec{
			{Name: "a", Start: "22:00", Duration: "25h", Days: []string{"Monday", "Tuesday"}, TimeZone: "UTC"},
		}, "a a"},
		{"a one-off inside a repeating window", []Spec{
			{Name: "nightly", Start: "02:00", Duration: "2h", TimeZone: "UTC"},
			{Name: "once", Start: "2026-01-20T03:00", Duration: "2h", TimeZone: "UTC"},
		}, "nightly once"},
		{"a one-off long past clashes with nothing", []Spec{
			{Name: "nightly", Start: "02:00", Duration: "2h", TimeZone: "UTC"},
			{Name: "once", Start: "2025-01-20T03:00", Duration: "2h", TimeZone: "UTC"},
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ws []Window
			for _, s := range tc.specs {
				ws = append(ws, mustCompile(t, s))
			}
			a, b, found := Overlap(ws, from)
			got := ""
			if found {
				got = a + " " + b
			}
			if got != tc.clash {
				t.Fatalf("overlap = %q, want %q", got, tc.clash)
			}
		})
	}
}
