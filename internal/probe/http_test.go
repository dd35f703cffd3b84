package probe

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// apiServer is an HTTP target with a few behaviours to probe.
func apiServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "status: all good, version 1.2.3")
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"up","count":3,"ratio":1.50,"big":12345678901234567890,"ok":true,"items":[{"id":"a"},{"id":"b"}],"meta":{"v":null}}`)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || string(body) != `{"q":1}` || r.Header.Get("X-Api-Key") != "k1" || r.Header.Get("X-Tenant") != "t" {
			http.Error(w, fmt.Sprintf("bad request %s %q %v", r.Method, body, r.Header), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "echoed")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/health", http.StatusFound)
	})
	mux.HandleFunc("/vhost", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "shop.example" {
			http.Error(w, "unknown virtual host "+r.Host, http.StatusMisdirectedRequest)
		}
	})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func strp(s string) *string { return &s }

func TestHTTPProbe(t *testing.T) {
	srv := apiServer(t)
	keyFile := filepath.Join(t.TempDir(), "api-key")
	if err := os.WriteFile(keyFile, []byte("k1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  probeconfig.HTTPRequest
		want Reason
	}{
		{"success", probeconfig.HTTPRequest{URL: srv.URL + "/health"}, ReasonOK},
		{"wrong status", probeconfig.HTTPRequest{URL: srv.URL + "/teapot"}, ReasonStatus},
		{"expected status", probeconfig.HTTPRequest{URL: srv.URL + "/teapot", ExpectedStatus: []int{200, 418}}, ReasonOK},
		{"not found", probeconfig.HTTPRequest{URL: srv.URL + "/nope"}, ReasonStatus},
		{"body contains", probeconfig.HTTPRequest{URL: srv.URL + "/health", BodyContains: []string{"all good", "version"}}, ReasonOK},
		{"body contains fails", probeconfig.HTTPRequest{URL: srv.URL + "/health", BodyContains: []string{"all good", "maintenance"}}, ReasonBody},
		{"body regex", probeconfig.HTTPRequest{URL: srv.URL + "/health", BodyRegex: `version \d+\.\d+\.\d+`}, ReasonOK},
		{"body regex fails", probeconfig.HTTPRequest{URL: srv.URL + "/health", BodyRegex: `version 2\.`}, ReasonBody},
		{"json assertions", probeconfig.HTTPRequest{URL: srv.URL + "/json", JSON: []probeconfig.JSONAssertion{
			{Path: "status", Equals: strp("up")},
			{Path: "count", Equals: strp("3")},
			{Path: "ratio", Equals: strp("1.5")},
			{Path: "big", Equals: strp("12345678901234567890")},
			{Path: "ok", Equals: strp("true")},
			{Path: "items[1].id", Equals: strp("b")},
			{Path: "$.meta.v", Equals: strp("null")},
			{Path: "items"},
		}}, ReasonOK},
		{"json value differs", probeconfig.HTTPRequest{URL: srv.URL + "/json", JSON: []probeconfig.JSONAssertion{{Path: "status", Equals: strp("down")}}}, ReasonJSON},
		{"json path missing", probeconfig.HTTPRequest{URL: srv.URL + "/json", JSON: []probeconfig.JSONAssertion{{Path: "items[2].id"}}}, ReasonJSON},
		{"json on non-JSON body", probeconfig.HTTPRequest{URL: srv.URL + "/health", JSON: []probeconfig.JSONAssertion{{Path: "status"}}}, ReasonJSON},
		{"method, body and headers", probeconfig.HTTPRequest{
			URL: srv.URL + "/echo", Method: http.MethodPost, Body: `{"q":1}`,
			Header: []probeconfig.Header{{Name: "X-Api-Key", ValueFile: keyFile}, {Name: "X-Tenant", Value: "t"}},
		}, ReasonOK},
		{"header secret file missing", probeconfig.HTTPRequest{
			URL: srv.URL + "/echo", Header: []probeconfig.Header{{Name: "X-Api-Key", ValueFile: keyFile + ".gone"}},
		}, ReasonConfig},
		{"virtual host", probeconfig.HTTPRequest{URL: srv.URL + "/vhost", Header: []probeconfig.Header{{Name: "Host", Value: "shop.example"}}}, ReasonOK},
		{"redirect followed", probeconfig.HTTPRequest{URL: srv.URL + "/redirect", FollowRedirects: true, BodyContains: []string{"all good"}}, ReasonOK},
		{"redirect not followed", probeconfig.HTTPRequest{URL: srv.URL + "/redirect"}, ReasonStatus},
		{"redirect not followed, 302 expected", probeconfig.HTTPRequest{URL: srv.URL + "/redirect", ExpectedStatus: []int{302}}, ReasonOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			got, err := runOnce(t, probeconfig.Probe{HTTP: &req})
			wantReason(t, got, err, tt.want)
		})
	}
}

func TestHTTPFailureMessages(t *testing.T) {
	srv := apiServer(t)
	for _, tt := range []struct {
		req  probeconfig.HTTPRequest
		want string
	}{
		{probeconfig.HTTPRequest{URL: srv.URL + "/teapot"}, "status 418, want 2xx"},
		{probeconfig.HTTPRequest{URL: srv.URL + "/health", BodyContains: []string{"maintenance"}}, `body does not contain "maintenance"`},
		{probeconfig.HTTPRequest{URL: srv.URL + "/json", JSON: []probeconfig.JSONAssertion{{Path: "count", Equals: strp("4")}}}, `JSON path count is "3", want "4"`},
	} {
		_, err := runOnce(t, probeconfig.Probe{HTTP: &tt.req})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error = %v, want it to contain %q", err, tt.want)
		}
	}
}

func TestHTTPHeaderFileReadOnEveryRun(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "token")
	p := probeconfig.Probe{HTTP: &probeconfig.HTTPRequest{URL: srv.URL, Header: []probeconfig.Header{{Name: "Authorization", ValueFile: file}}}}
	for _, token := range []string{"Bearer one", "Bearer two"} {
		if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := runOnce(t, p)
		wantReason(t, r, err, ReasonOK)
	}
	if strings.Join(got, ",") != "Bearer one,Bearer two" {
		t.Fatalf("server saw %q, want the rotated secret on the second run", got)
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	r, err := runOnce(t, probeconfig.Probe{Timeout: dur(200 * time.Millisecond), HTTP: &probeconfig.HTTPRequest{URL: srv.URL}})
	wantReason(t, r, err, ReasonTimeout)
}

func TestHTTPConnectionRefused(t *testing.T) {
	r, err := runOnce(t, probeconfig.Probe{HTTP: &probeconfig.HTTPRequest{URL: "http://" + closedPort(t)}})
	wantReason(t, r, err, ReasonConnect)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // only its address was wanted: nothing listens there now
	return addr
}

func TestHTTPTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "secure")
	}))
	// Rejected handshakes are the point of this test, not server log noise.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(t.TempDir(), "junk.crt")
	if err := os.WriteFile(notPEM, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tls  *probeconfig.TLS
		want Reason
	}{
		{"untrusted certificate", nil, ReasonTLS},
		{"trusted via CA file", &probeconfig.TLS{CAFile: caFile}, ReasonOK},
		{"verification skipped", &probeconfig.TLS{InsecureSkipVerify: true}, ReasonOK},
		// The httptest certificate is valid for example.com and 127.0.0.1 only.
		{"server name mismatch", &probeconfig.TLS{CAFile: caFile, ServerName: "shop.example.org"}, ReasonTLS},
		{"server name override", &probeconfig.TLS{CAFile: caFile, ServerName: "example.com"}, ReasonOK},
		{"CA file missing", &probeconfig.TLS{CAFile: caFile + ".gone"}, ReasonConfig},
		{"CA file not PEM", &probeconfig.TLS{CAFile: notPEM}, ReasonConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := runOnce(t, probeconfig.Probe{HTTP: &probeconfig.HTTPRequest{URL: srv.URL, TLS: tt.tls, BodyContains: []string{"secure"}}})
			wantReason(t, r, err, tt.want)
		})
	}
}

// endlessServer streams an endless body, as a broken or hostile target may.
func endlessServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPBodyBounded(t *testing.T) {
	srv := endlessServer(t)
	t.Run("status-only check ends after the limit", func(t *testing.T) {
		r, err := runOnce(t, probeconfig.Probe{HTTP: &probeconfig.HTTPRequest{URL: srv.URL}})
		wantReason(t, r, err, ReasonOK)
	})
	t.Run("body check fails rather than judge a part", func(t *testing.T) {
		r, err := runOnce(t, probeconfig.Probe{HTTP: &probeconfig.HTTPRequest{URL: srv.URL, BodyContains: []string{"x"}}})
		wantReason(t, r, err, ReasonBody)
		if !strings.Contains(err.Error(), "exceeds") {
			t.Fatalf("error = %v, want it to say the body exceeds the limit", err)
		}
	})
	t.Run("at most MaxBodyBytes are kept", func(t *testing.T) {
		cp, err := compileProbe(probeconfig.Probe{ID: "shop/test", Labels: testLabels("test"), Interval: dur(time.Minute), HTTP: &probeconfig.HTTPRequest{URL: srv.URL}})
		if err != nil {
			t.Fatal(err)
		}
		c := cp.checker.(*httpProbe).req
		s := newSession(nil)
		defer s.close()
		resp, err := c.do(t.Context(), s, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.body) != MaxBodyBytes || !resp.truncated {
			t.Fatalf("kept %d bytes (truncated %v), want %d and truncated", len(resp.body), resp.truncated, MaxBodyBytes)
		}
	})
}

func TestHTTPNeverEndingBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	r, err := runOnce(t, probeconfig.Probe{Timeout: dur(300 * time.Millisecond), HTTP: &probeconfig.HTTPRequest{URL: srv.URL}})
	wantReason(t, r, err, ReasonTimeout)
}
