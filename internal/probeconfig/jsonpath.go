package probeconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// JSONPath is a parsed path such as `a.b[0].c`: object keys separated by
// dots, array indexes in brackets. A leading `$` or `$.`, as JSONPath users
// tend to write, is accepted and ignored. It is deliberately not full
// JSONPath: assertions and captures need one field, not queries.
type JSONPath struct {
	text  string
	steps []pathStep
}

// String is the path as written.
func (p JSONPath) String() string { return p.text }

// pathStep is an object key, or an array index when isIndex is set.
type pathStep struct {
	key     string
	index   int
	isIndex bool
}

// ParseJSONPath parses the path syntax described on JSONPath.
func ParseJSONPath(s string) (JSONPath, error) {
	p := JSONPath{text: s}
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

// Lookup returns the field the path names in a document decoded with
// json.Decoder.UseNumber, and whether it exists.
func (p JSONPath) Lookup(doc any) (any, bool) {
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
