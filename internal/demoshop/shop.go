// Package demoshop is a small web shop with the touchpoints of the sample
// marketing-automation journey — pricing page, trial sign-up flow, contacts
// API — and a fault switch per touchpoint, so the demo and the end-to-end
// test can break a touchpoint and watch the operator notice. It also
// counts the journey's funnel (funnel.go) and can leak customers from a
// stage while every page answers.
package demoshop

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Touchpoints the shop serves; each can be broken on its own.
const (
	PricingPage = "pricing-page"
	Signup      = "signup"
	ContactsAPI = "contacts-api"
)

// Fault is what a broken touchpoint does.
type Fault string

// Faults.
const (
	// FaultNone serves normally.
	FaultNone Fault = ""
	// FaultDown answers 503 Service Unavailable.
	FaultDown Fault = "down"
	// FaultSlow answers correctly after two seconds.
	FaultSlow Fault = "slow"
)

// Shop is the demo shop's HTTP handler.
type Shop struct {
	mu     sync.Mutex
	faults map[string]Fault
	trials map[string]bool
	mux    *http.ServeMux
	funnel *funnel
}

// New returns a shop with every touchpoint working.
func New() *Shop {
	s := &Shop{faults: map[string]Fault{}, trials: map[string]bool{}, mux: http.NewServeMux(), funnel: newFunnel(time.Now)}
	s.mux.HandleFunc("GET /pricing", s.touchpoint(PricingPage, s.pricing))
	s.mux.HandleFunc("GET /signup", s.touchpoint(Signup, s.signupForm))
	s.mux.HandleFunc("POST /api/trials", s.touchpoint(Signup, s.createTrial))
	s.mux.HandleFunc("GET /trials/{id}/welcome", s.touchpoint(Signup, s.welcome))
	s.mux.HandleFunc("GET /v1/contacts/import/health", s.touchpoint(ContactsAPI, s.contactsHealth))
	s.mux.HandleFunc("GET /faults", s.listFaults)
	s.mux.HandleFunc("PUT /faults/{touchpoint}", s.setFault)
	s.mux.HandleFunc("DELETE /faults/{touchpoint}", s.clearFault)
	s.mux.HandleFunc("GET /metrics", s.metrics)
	s.mux.HandleFunc("PUT /leaks/{stage}", s.setLeak)
	s.mux.HandleFunc("DELETE /leaks/{stage}", s.clearLeak)
	return s
}

// ServeHTTP serves the shop.
func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Break makes a touchpoint fail in the given way; FaultNone heals it.
func (s *Shop) Break(touchpoint string, fault Fault) error {
	if !known(touchpoint) {
		return fmt.Errorf("unknown touchpoint %q: the shop serves %s, %s and %s", touchpoint, PricingPage, Signup, ContactsAPI)
	}
	switch fault {
	case FaultNone, FaultDown, FaultSlow:
	default:
		return fmt.Errorf("unknown fault %q: use %q or %q", fault, FaultDown, FaultSlow)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if fault == FaultNone {
		delete(s.faults, touchpoint)
	} else {
		s.faults[touchpoint] = fault
	}
	return nil
}

func known(touchpoint string) bool {
	return touchpoint == PricingPage || touchpoint == Signup || touchpoint == ContactsAPI
}

func (s *Shop) fault(touchpoint string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults[touchpoint]
}

// touchpoint wraps a handler with the touchpoint's fault switch.
func (s *Shop) touchpoint(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch s.fault(name) {
		case FaultDown:
			http.Error(w, name+" is down (fault injected)", http.StatusServiceUnavailable)
			return
		case FaultSlow:
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		h(w, r)
	}
}

// A handler's write error means the client has gone: there is no one left to
// tell, so the handlers ignore it.

func (s *Shop) pricing(w http.ResponseWriter, _ *http.Request) {
	_, _ = fmt.Fprint(w, `<html><body><h1>Pricing</h1>
<div class="plan">Starter — $49/month, one marketer, 2,000 contacts</div>
<div class="plan">Growth — $199/month, five seats, 10,000 contacts</div>
</body></html>`)
}

func (s *Shop) signupForm(w http.ResponseWriter, _ *http.Request) {
	_, _ = fmt.Fprintf(w, `<form method="post" action="/api/trials"><input type="hidden" name="csrf" value="%s"><input name="email"></form>`, newID())
}

func (s *Shop) createTrial(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-CSRF-Token") == "" {
		http.Error(w, "missing CSRF token", http.StatusForbidden)
		return
	}
	id := newID()
	s.mu.Lock()
	s.trials[id] = true
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: id, Path: "/"})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"trial": map[string]string{"id": id, "status": "active", "plan": "starter"}})
}

func (s *Shop) welcome(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	known := s.trials[id]
	delete(s.trials, id) // one welcome per trial keeps the map small
	s.mu.Unlock()
	if cookie, err := r.Cookie("session"); !known || err != nil || cookie.Value != id {
		http.Error(w, "no such trial for this session", http.StatusNotFound)
		return
	}
	_, _ = fmt.Fprint(w, "<h1>Welcome! Create your first campaign</h1>")
}

func (s *Shop) contactsHealth(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprint(w, `{"status":"ok","queue":0}`)
}

func (s *Shop) listFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	names := make([]string, 0, len(s.faults))
	for name, fault := range s.faults {
		names = append(names, name+"="+string(fault))
	}
	s.mu.Unlock()
	sort.Strings(names)
	_, _ = fmt.Fprintln(w, strings.Join(names, "\n"))
}

// setFault breaks a touchpoint: PUT /faults/pricing-page?mode=down.
func (s *Shop) setFault(w http.ResponseWriter, r *http.Request) {
	mode := Fault(r.URL.Query().Get("mode"))
	if mode == FaultNone {
		mode = FaultDown
	}
	if err := s.Break(r.PathValue("touchpoint"), mode); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = fmt.Fprintf(w, "%s is now %s\n", r.PathValue("touchpoint"), mode)
}

func (s *Shop) clearFault(w http.ResponseWriter, r *http.Request) {
	if err := s.Break(r.PathValue("touchpoint"), FaultNone); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = fmt.Fprintf(w, "%s is healthy again\n", r.PathValue("touchpoint"))
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
