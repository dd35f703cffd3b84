package demoshop

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// clock is a settable time for the funnel.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestFunnelCountsAndLeaks: the counters follow the plans' rates and
// shares; a leak loses its share of a stage's customers from the moment
// it starts and no earlier, and every page keeps answering meanwhile.
func TestFunnelCountsAndLeaks(t *testing.T) {
	s := New()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	s.funnel = newFunnel(c.now)
	server := httptest.NewServer(s)
	defer server.Close()

	c.t = c.t.Add(100 * time.Second)
	metrics := get(t, http.DefaultClient, server.URL+"/metrics", http.StatusOK)
	for _, want := range []string{
		"# TYPE shop_pricing_visits_total counter",
		`shop_pricing_visits_total{plan="starter"} 200`,
		`shop_trial_signups_total{plan="starter"} 96`,
		`shop_contact_imports_total{plan="starter"} 48`,
		`shop_pricing_visits_total{plan="growth"} 50`,
		`shop_trial_signups_total{plan="growth"} 15`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}

	put(t, server.URL+"/leaks/purchase?share=0.5", http.StatusOK)
	c.t = c.t.Add(100 * time.Second)
	get(t, http.DefaultClient, server.URL+"/pricing", http.StatusOK)
	get(t, http.DefaultClient, server.URL+"/signup", http.StatusOK)
	metrics = get(t, http.DefaultClient, server.URL+"/metrics", http.StatusOK)
	// 100s more: 200 visits, 96 sign-ups of which half are lost.
	for _, want := range []string{`shop_pricing_visits_total{plan="starter"} 400`, `shop_trial_signups_total{plan="starter"} 144`, `shop_contact_imports_total{plan="starter"} 72`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q while purchase leaks:\n%s", want, metrics)
		}
	}

	req, _ := http.NewRequest(http.MethodDelete, server.URL+"/leaks/purchase", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ending the leak: %v %v", resp, err)
	}
	c.t = c.t.Add(100 * time.Second)
	if metrics = get(t, http.DefaultClient, server.URL+"/metrics", http.StatusOK); !strings.Contains(metrics, `shop_trial_signups_total{plan="starter"} 240`) {
		t.Errorf("sign-ups after the leak ended:\n%s", metrics)
	}

	// Bad leaks are refused with what to do instead.
	for _, bad := range []struct{ stage, share, want string }{
		{"consideration", "0.5", `stage "consideration" cannot leak: the funnel's later stages are purchase and onboarding`},
		{"checkout", "0.5", `stage "checkout" cannot leak`},
		{"purchase", "1.5", "leak share 1.5: want a fraction from 0 to 1"},
		{"purchase", "lots", `share "lots" is not a number`},
	} {
		req, _ := http.NewRequest(http.MethodPut, server.URL+"/leaks/"+bad.stage+"?share="+bad.share, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, bad.want) {
			t.Errorf("leak %s %s: %s %q, want 400 saying %q", bad.stage, bad.share, resp.Status, body, bad.want)
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer func() { _ = resp.Body.Close() }() // read to the end below; a close error changes no result
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
