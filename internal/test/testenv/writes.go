package testenv

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// WriteCounter counts the requests that change state on the apiserver,
// made through a rest.Config whose WrapTransport is Wrap. Tests and the
// benchmark use it to prove the manager quiet, or to count what it wrote.
type WriteCounter struct {
	// ByResource groups the counts by method and resource, dropping
	// object names ("PATCH prometheusrules"); otherwise by method and full
	// path, which names the objects written.
	ByResource bool

	mu     sync.Mutex
	counts map[string]int
	last   atomic.Int64
}

// Wrap is a rest.Config WrapTransport.
func (w *WriteCounter) Wrap(rt http.RoundTripper) http.RoundTripper {
	return RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			key := req.URL.Path
			if w.ByResource {
				key = resourceOf(key)
			}
			w.mu.Lock()
			if w.counts == nil {
				w.counts = map[string]int{}
			}
			w.counts[req.Method+" "+key]++
			w.mu.Unlock()
			w.last.Store(time.Now().UnixNano())
		}
		return rt.RoundTrip(req)
	})
}

// Snapshot is the counts so far, to pass to Since later.
func (w *WriteCounter) Snapshot() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.counts))
	for k, v := range w.counts {
		out[k] = v
	}
	return out
}

// Total is the number of writes so far.
func (w *WriteCounter) Total() int {
	n := 0
	for _, v := range w.Snapshot() {
		n += v
	}
	return n
}

// Since lists, sorted, the writes made after an earlier snapshot, as
// "3× PATCH prometheusrules".
func (w *WriteCounter) Since(before map[string]int) []string {
	var out []string
	for k, v := range w.Snapshot() {
		if d := v - before[k]; d > 0 {
			out = append(out, fmt.Sprintf("%d× %s", d, k))
		}
	}
	sort.Strings(out)
	return out
}

// WaitQuiet returns once nothing has been written for the given time.
func (w *WriteCounter) WaitQuiet(quiet time.Duration) {
	for time.Since(time.Unix(0, w.last.Load())) < quiet {
		time.Sleep(200 * time.Millisecond)
	}
}

// resourceOf keeps the resource of a path and drops names, so counts group
// by kind: /apis/g/v/namespaces/ns/kind/name/status becomes "kind/status".
func resourceOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if p == "namespaces" && i+2 < len(parts) {
			rest := parts[i+2:]
			if len(rest) >= 3 {
				return rest[0] + "/" + rest[2]
			}
			return rest[0]
		}
	}
	return path
}

// RoundTripperFunc is a function that serves as an http.RoundTripper.
type RoundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
