package probe

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// shopServer is a login → cart → checkout flow that only works when the
// captured token, user id, request id and order id and the session cookie
// are carried from step to step.
func shopServer(t *testing.T, cartStatus *atomic.Int32) *httptest.Server {
	t.Helper()
	loggedIn := func(r *http.Request) bool {
		c, err := r.Cookie("session")
		return err == nil && c.Value == "s3cr3t"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case loggedIn(r):
			// A jar shared across runs would carry the cookie here.
			http.Error(w, "already logged in", http.StatusConflict)
		case string(body) != `{"user":"ada"}`:
			http.Error(w, "bad credentials", http.StatusUnauthorized)
		default:
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s3cr3t", Path: "/"})
			w.Header().Set("X-Request-Id", "rid-9")
			_, _ = io.WriteString(w, `{"token":"tok-1","user":{"id":42}}`)
		}
	})
	mux.HandleFunc("GET /cart/{uid}", func(w http.ResponseWriter, r *http.Request) {
		if code := int(cartStatus.Load()); code != 0 {
			w.WriteHeader(code)
			return
		}
		if !loggedIn(r) || r.PathValue("uid") != "42" || r.URL.Query().Get("t") != "tok-1" ||
			r.Header.Get("Authorization") != "Bearer tok-1" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, "<p>order-id=ORD-77;</p>")
	})
	mux.HandleFunc("POST /checkout", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !loggedIn(r) || string(body) != `{"order":"ORD-77","rid":"rid-9"}` {
			http.Error(w, "bad checkout "+string(body), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, `{"state":"paid"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func shopFlow(base string) *probeconfig.Flow {
	return &probeconfig.Flow{Steps: []probeconfig.FlowStep{
		{
			Name:        "login",
			HTTPRequest: probeconfig.HTTPRequest{URL: base + "/login", Method: "POST", Body: `{"user":"ada"}`},
			Capture: []probeconfig.Capture{
				{Name: "token", From: probeconfig.CaptureFromJSONPath, Expression: "token"},
				{Name: "uid", From: probeconfig.CaptureFromJSONPath, Expression: "user.id"},
				{Name: "rid", From: probeconfig.CaptureFromHeader, Expression: "X-Request-Id"},
			},
		},
		{
			Name: "cart",
			HTTPRequest: probeconfig.HTTPRequest{
				URL:    base + "/cart/${uid}?t=${token}",
				Header: []probeconfig.Header{{Name: "Authorization", Value: "Bearer ${token}"}},
			},
			Capture: []probeconfig.Capture{{Name: "order", From: probeconfig.CaptureFromRegex, Expression: `order-id=([A-Z0-9-]+);`}},
		},
		{
			Name:        "checkout",
			HTTPRequest: probeconfig.HTTPRequest{URL: base + "/checkout", Method: "POST", Body: `{"order":"${order}","rid":"${rid}"}`, JSON: []probeconfig.JSONAssertion{{Path: "state", Equals: strp("paid")}}},
		},
	}}
}

// stepLog records what a flow reports per step.
type stepLog []string

func (l *stepLog) observe(step string, _ time.Duration, err error) {
	s := step + "=ok"
	if err != nil {
		s = step + "=failed"
	}
	*l = append(*l, s)
}

func TestFlowCapturesAndCookies(t *testing.T) {
	var cartStatus atomic.Int32
	srv := shopServer(t, &cartStatus)
	cp, err := compileProbe(probeconfig.Probe{ID: "shop/flow", Labels: testLabels("flow"), Interval: dur(time.Minute), Flow: shopFlow(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	// Twice with the same compiled probe: each run must start a fresh session.
	for run := range 2 {
		var steps stepLog
		if err := cp.checker.check(t.Context(), steps.observe); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if got := strings.Join(steps, " "); got != "login=ok cart=ok checkout=ok" {
			t.Fatalf("run %d: steps %s", run, got)
		}
	}
}

func TestFlowFailsAtFirstFailingStep(t *testing.T) {
	var cartStatus atomic.Int32
	srv := shopServer(t, &cartStatus)
	cartStatus.Store(http.StatusInternalServerError)
	cp, err := compileProbe(probeconfig.Probe{ID: "shop/flow", Labels: testLabels("flow"), Interval: dur(time.Minute), Flow: shopFlow(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	var steps stepLog
	err = cp.checker.check(t.Context(), steps.observe)
	if got := strings.Join(steps, " "); got != "login=ok cart=failed" {
		t.Fatalf("steps %s, want the flow to stop at cart", got)
	}
	wantReason(t, reasonOf(t.Context(), err), err, ReasonStatus)
	if se, ok := errors.AsType[*stepError](err); !ok || se.step != "cart" {
		t.Fatalf("error %v does not name the step", err)
	}
	if !strings.Contains(err.Error(), `step "cart": status 500`) {
		t.Fatalf("error = %q, want it to name the step and the status", err)
	}
}

func TestFlowCaptureFailure(t *testing.T) {
	var cartStatus atomic.Int32
	srv := shopServer(t, &cartStatus)
	flow := shopFlow(srv.URL)
	flow.Steps[1].Capture[0].Expression = `invoice=(\d+)`
	r, err := runOnce(t, probeconfig.Probe{Flow: flow})
	wantReason(t, r, err, ReasonCapture)
	if !strings.Contains(err.Error(), `step "cart": capture order`) {
		t.Fatalf("error = %q, want it to name the step and the capture", err)
	}
}
