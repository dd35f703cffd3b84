package demoshop

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestSignupFlowAndFaultSwitch walks the sign-up flow the sample monitor
// probes, then breaks and heals the pricing page through the HTTP switch.
func TestSignupFlowAndFaultSwitch(t *testing.T) {
	server := httptest.NewServer(New())
	defer server.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	form := get(t, c, server.URL+"/signup", http.StatusOK)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if csrf == nil {
		t.Fatalf("no CSRF token in the form: %s", form)
	}
	req, _ := http.NewRequest(http.MethodPost, server.URL+"/api/trials", strings.NewReader(`{"plan":"starter"}`))
	req.Header.Set("X-CSRF-Token", csrf[1])
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Trial struct{ ID, Status string } }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != http.StatusCreated || created.Trial.Status != "active" {
		t.Fatalf("creating a trial: %s %+v %v", resp.Status, created, err)
	}
	_ = resp.Body.Close() // decoded above; a close error changes no result
	if body := get(t, c, server.URL+"/trials/"+created.Trial.ID+"/welcome", http.StatusOK); !strings.Contains(body, "first campaign") {
		t.Fatalf("welcome page: %s", body)
	}
	// Without the session cookie the welcome page is not shown.
	get(t, http.DefaultClient, server.URL+"/trials/"+created.Trial.ID+"/welcome", http.StatusNotFound)

	put(t, server.URL+"/faults/pricing-page?mode=down", http.StatusOK)
	get(t, c, server.URL+"/pricing", http.StatusServiceUnavailable)
	get(t, c, server.URL+"/signup", http.StatusOK) // other touchpoints keep working
	if faults := get(t, c, server.URL+"/faults", http.StatusOK); !strings.Contains(faults, "pricing-page=down") {
		t.Errorf("fault list: %q", faults)
	}
	req, _ = http.NewRequest(http.MethodDelete, server.URL+"/faults/pricing-page", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healing: %v %v", resp, err)
	}
	if body := get(t, c, server.URL+"/pricing", http.StatusOK); !strings.Contains(body, "Starter") {
		t.Errorf("pricing page after healing: %s", body)
	}

	put(t, server.URL+"/faults/checkout?mode=down", http.StatusBadRequest)
	put(t, server.URL+"/faults/pricing-page?mode=sideways", http.StatusBadRequest)
}

func get(t *testing.T, c *http.Client, url string, want int) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // closing a response body a test has done with changes no result
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %s, want %d: %s", url, resp.Status, want, body)
	}
	return string(body)
}

func put(t *testing.T, url string, want int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // only the status is checked
	if resp.StatusCode != want {
		t.Fatalf("PUT %s: %s, want %d", url, resp.Status, want)
	}
}
