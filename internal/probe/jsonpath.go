package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// jsonPath is a parsed path such as `a.b[0].c`: object keys separated by
// dots, array indexes in brackets. A leading `$` or `$.`, as JSONPath users
// tend to write, is accepted and ignored. It is deliberately not full
// JSONPath: assertions and captures need one field, not queries.
type jsonPath struct {
	text  string
	steps []pathStep
}

// pathStep is an object key, or an array index when isIndex is set.
type pathStep struct {
	key     string
	index   int
	isIndex bool
}

// parseJSONPath parses the path syntax described on jsonPath.
func parseJSONPath(s string) (jsonPath, error) {
	p := jsonPath{text: s}
	rest := strings.TrimPrefix(strings.TrimPrefix(s, "$"), ".")
	if rest == "" {
		return p, errors.New("empty JSON path")
	}
	for rest != "" {
		switch {
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return p, fmt.Errorf("JSON path %q: missing ']'", s)
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return p, fmt.Errorf("JSON path %q: index %q is not a non-negative integer", s, rest[1:end])
			}
			p.steps = append(p.steps, pathStep{index: n, isIndex: true})
			rest = rest[end+1:]
			if rest != "" && rest[0] != '.' && rest[0] != '[' {
				return p, fmt.Errorf("JSON path %q: expected '.' or '[' after ']'", s)
			}
		case rest[0] == '.' && len(p.steps) > 0:
			rest = rest[1:]
			fallthrough
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return p, fmt.Errorf("JSON path %q: empty key", s)
			}
			p.steps = append(p.steps, pathStep{key: rest[:end]})
			rest = rest[end:]
		}
	}
	return p, nil
}

// lookup returns the field the path names in a document decoded with
// json.Decoder.UseNumber, and whether it exists.
func (p jsonPath) lookup(doc any) (any, bool) {
	cur := doc
	for _, st := range p.steps {
		if st.isIndex {
			arr, ok := cur.([]any)
			if !ok || st.index >= len(arr) {
				return nil, false
			}
			cur = arr[st.index]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[st.key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

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
