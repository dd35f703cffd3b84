package health

import (
	"math"
	"strconv"
	"time"
)

// Status shows SLI numbers only as finely as a person acts on them. A
// monitor's status is written, and its map and persona requeued, whenever
// one of its strings changes; printed to the millisecond or the hundredth
// of a burn rate, live traffic would change them at nearly every poll.
// The rule:
//
//   - availability, over the window and over the last hour: 0.01
//     percentage points ("99.93"), a failure never shown as "100.00";
//   - error budget remaining: whole percent, rounded down, so an overspent
//     budget always shows negative ("-3");
//   - burn rate: 2 significant digits, no finer than 0.01 ("0.20", "1.2",
//     "14");
//   - latency: 2 significant digits, no finer than 1ms ("230ms", "1.2s");
//   - journey success ratio: 4 decimals, i.e. 0.01 % ("0.9731").
//   - conversion between stages: whole percent ("48%"; FormatConversion),
//     a dropped one rounded down, so it never reads as high as its floor.
//
// Health itself is judged on the raw values (see Judge).

// percent prints a success ratio in percent to 0.01 percentage points,
// never rounding a failure up to "100.00".
func percent(ratio float64) string {
	if ratio < 1 && ratio > 0.99995 {
		return "99.99"
	}
	return strconv.FormatFloat(100*ratio, 'f', 2, 64)
}

// budgetRemaining prints the share of the error budget left, in whole
// percent rounded down.
func budgetRemaining(errorRatio, budget float64) string {
	return strconv.FormatFloat(math.Floor(100*(1-errorRatio/budget)), 'f', 0, 64)
}

// burnRate prints a burn rate to 2 significant digits, no finer than 0.01.
func burnRate(v float64) string {
	return significant(v, 2, -2)
}

// latency prints a latency to 2 significant digits, no finer than 1ms.
func latency(seconds float64) string {
	ms, _ := strconv.ParseFloat(significant(seconds*1000, 2, 0), 64)
	return (time.Duration(ms) * time.Millisecond).String()
}

// FormatRatio prints a ratio such as the journey success ratio with four
// decimals (0.01 %).
func FormatRatio(v float64) string {
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// significant prints v rounded to digits significant digits, but never to
// a finer decimal place than 10^finest, in plain decimal notation.
func significant(v float64, digits, finest int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(0, 'f', max(0, -finest), 64)
	}
	// The place of the last significant digit, e.g. -1 for 1.2.
	place := int(math.Floor(math.Log10(math.Abs(v)))) - digits + 1
	place = max(place, finest)
	scale := math.Pow(10, float64(place))
	rounded := math.Round(v/scale) * scale
	if rounded == 0 {
		rounded = 0 // no "-0.00"
	}
	return strconv.FormatFloat(rounded, 'f', max(0, -place), 64)
}
