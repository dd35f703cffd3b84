package testenv

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestWriteCounterCountsOnlyWrites(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer server.Close()

	for _, tc := range []struct {
		byResource bool
		want       []string
	}{
		{byResource: true, want: []string{"1× DELETE configmaps", "2× PATCH prometheusrules/status"}},
		{byResource: false, want: []string{
			"1× DELETE /api/v1/namespaces/shop/configmaps/collector",
			"1× PATCH /apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/a/status",
			"1× PATCH /apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/b/status",
		}},
	} {
		counter := &WriteCounter{ByResource: tc.byResource}
		client := &http.Client{Transport: counter.Wrap(http.DefaultTransport)}
		send := func(method, path string) {
			req, err := http.NewRequest(method, server.URL+path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close() // the request is what is counted, not the answer
		}

		send(http.MethodGet, "/api/v1/namespaces/shop/configmaps/collector")
		before := counter.Snapshot()
		send(http.MethodGet, "/api/v1/namespaces/shop/configmaps/collector")
		send(http.MethodHead, "/api/v1/namespaces/shop/configmaps/collector")
		send(http.MethodPatch, "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/a/status")
		send(http.MethodPatch, "/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/b/status")
		send(http.MethodDelete, "/api/v1/namespaces/shop/configmaps/collector")

		if got := counter.Since(before); !slices.Equal(got, tc.want) {
			t.Errorf("ByResource=%v: writes %q, want %q", tc.byResource, got, tc.want)
		}
		if got := counter.Total(); got != 3 {
			t.Errorf("ByResource=%v: %d writes in all, want 3", tc.byResource, got)
		}
	}
}
