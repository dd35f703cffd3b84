package dashboardtest

import (
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"journey": "trial", "journey_2": "other"}
	for _, tc := range []struct {
		expr, want, wantErr string
	}{
		{expr: `x{journey="$journey"}`, want: `x{journey="trial"}`},
		{expr: `x{journey="${journey}"}`, want: `x{journey="trial"}`},
		{expr: `x{journey=~"${journey:regex}"}`, want: `x{journey=~"trial"}`},
		{expr: `x{journey="[[journey]]"}`, want: `x{journey="trial"}`},
		// A longer name is not read as a shorter one followed by text.
		{expr: `x{journey="$journey_2"}`, want: `x{journey="other"}`},
		// Over 1h at a 1m step with a 15s scrape interval: step plus one
		// scrape beats four scrapes.
		{expr: `rate(x[$__rate_interval])`, want: `rate(x[75s])`},
		{expr: `increase(x[$__range]) / $__range_s`, want: `increase(x[3600s]) / 3600`},
		{expr: `avg_over_time(x[$__interval])`, want: `avg_over_time(x[60s])`},
		{expr: `x{persona="$persona"}`, wantErr: "unknown variables persona"},
	} {
		got, err := Expand(tc.expr, vars, time.Hour, time.Minute, 15*time.Second)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tc.expr, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.expr, err)
		case got != tc.want:
			t.Errorf("%s expands to %s, want %s", tc.expr, got, tc.want)
		}
	}
}
