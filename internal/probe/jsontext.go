package probe

import (
	"encoding/json"
	"strings"
)

// jsonText prints a field for comparison: strings raw (no quotes), other
// values as JSON prints them (numbers, true/false, null, compact objects).
// Integers keep their literal digits, so IDs beyond 2^53 compare exactly;
// other numbers go through float64 so "1.50" and "1.5" compare equal.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			return string(x)
		}
		if f, err := x.Float64(); err == nil {
			b, _ := json.Marshal(f)
			return string(b)
		}
		return string(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
