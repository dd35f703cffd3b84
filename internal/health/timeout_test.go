package health

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A slow Prometheus must not hold a reconcile: the timeout bounds the whole
// observation, not each of its queries, so six queries that each answer
// within it still end at it, with an error that says so.
func TestObserveIsBoundedAsAWhole(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(150 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
	}))
	t.Cleanup(slow.Close)

	query := TouchpointQuery{Namespace: "shop", Journey: "trial", Touchpoint: "signup", ObjectiveWindow: "28d", Probe: true, Latency: true}
	patient, err := NewSource(SourceOptions{URL: slow.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := patient.Observe(context.Background(), query); err != nil {
		t.Fatalf("six queries of 150ms within a 5s bound: %v", err)
	}
	bounded, err := NewSource(SourceOptions{URL: slow.URL, Timeout: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bounded.Observe(context.Background(), query); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("six queries of 150ms within a 400ms bound: %v, want a deadline error", err)
	}
}
