package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/demoshop"
	"github.com/journeymap/journey-operator/internal/localstack"
	"github.com/journeymap/journey-operator/internal/series"
)

// The journey of the alerting test: two teams own different touchpoints.
// team-a owns the Critical sign-up; team-b the pricing page before it and
// the contacts API after it, which gets a maintenance window later. Alerts
// of the map itself go to growth, which has no receiver of its own.
const alertingJourney = `
apiVersion: v1
kind: Namespace
metadata: {name: alerts}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: Persona
metadata: {name: startup-cmo, namespace: alerts}
spec: {displayName: "Paige, startup CMO"}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: JourneyMap
metadata: {name: trial, namespace: alerts}
spec:
  personaRef: {name: startup-cmo}
  goal: Start a trial and import contacts
  owner: growth
  alerting:
    receiversFrom: {name: team-receivers}
    receivers:
      - {team: team-a, receiver: team-a-pager}
      - {team: team-b, receiver: team-b-pager}
  stages:
    - name: consideration
      emotion: 0
      touchpoints:
        - {name: pricing-page, channel: web, owner: team-b, criticality: High}
    - name: purchase
      emotion: 1
      touchpoints:
        - {name: signup, channel: web, owner: team-a, criticality: Critical}
    - name: onboarding
      emotion: 1
      touchpoints:
        - {name: contacts-api, channel: api, owner: team-b, criticality: Medium}
---
apiVersion: v1
kind: Secret
metadata: {name: api-token, namespace: alerts}
stringData: {header: "Bearer e2e-token"}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: pricing-page, namespace: alerts}
spec:
  journeyMapRef: {name: trial}
  touchpoint: pricing-page
  probe: {interval: 5s, timeout: 3s, http: {url: "SHOP/pricing", expectedStatus: [200]}}
  objectives: {availability: "99.5", window: 1h}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: signup, namespace: alerts}
spec:
  journeyMapRef: {name: trial}
  touchpoint: signup
  probe: {interval: 5s, timeout: 3s, http: {url: "SHOP/signup", expectedStatus: [200]}}
  objectives: {availability: "99.5", window: 1h}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: contacts-api, namespace: alerts}
spec:
  journeyMapRef: {name: trial}
  touchpoint: contacts-api
  probe:
    interval: 5s
    timeout: 3s
    http:
      url: "SHOP/v1/contacts/import/health"
      expectedStatus: [200]
      headers: [{name: Authorization, valueFrom: {secretKeyRef: {name: api-token, key: header}}}]
  objectives: {availability: "99.5", window: 1h}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: JourneyMap
metadata: {name: renewal, namespace: alerts}
spec:
  personaRef: {name: startup-cmo}
  goal: Renew the plan without a call
  owner: team-c
  alerting:
    receiversFrom: {name: team-receivers}
    receivers: [{team: team-c, receiver: team-c-pager}]
  stages:
    - name: renewal
      emotion: 0
      touchpoints:
        - {name: plans-page, channel: web, criticality: High}
        - {name: billing-page, channel: web, criticality: Critical}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: plans-page, namespace: alerts}
spec:
  journeyMapRef: {name: renewal}
  touchpoint: plans-page
  probe: {interval: 5s, timeout: 3s, http: {url: "SHOP/pricing", expectedStatus: [200]}}
  objectives: {availability: "99.5", window: 1h}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: billing-page, namespace: alerts}
spec:
  journeyMapRef: {name: renewal}
  touchpoint: billing-page
  probe: {interval: 5s, timeout: 3s, http: {url: "SHOP/pricing", expectedStatus: [200]}}
  objectives: {availability: "99.5", window: 1h}
`

// TestAlertsReachTheOwningTeamOnce runs a real Alertmanager behind the
// real Prometheus, configured with the routing the operator generates for
// a plain Alertmanager, and a webhook receiver per team that counts what it
// is sent.
func TestAlertsReachTheOwningTeamOnce(t *testing.T) {
	stack := startStack(t, localstack.Options{Alertmanager: true})
	c := stack.Env.Client
	apply(t, c, strings.ReplaceAll(alertingJourney, "SHOP", stack.ShopURL))
	hooks := newWebhooks(t, "default", "team-a-pager", "team-b-pager", "team-c-pager")
	configureAlertmanager(t, stack, hooks)

	t.Log("waiting for the journeys to be Healthy")
	for _, m := range []string{"pricing-page", "signup", "contacts-api", "plans-page", "billing-page"} {
		waitFor(t, c, 4*time.Minute, "monitor "+m+" Healthy", func() error {
			mon, err := alertingMonitor(c, m)
			if err != nil {
				return err
			}
			if mon.Status.Health != cxv1alpha1.HealthHealthy {
				return fmt.Errorf("health %s", mon.Status.Health)
			}
			return nil
		})
	}

	// 3. (started now, checked last: its alerts take ten minutes) The
	// renewal journey's collector stops: one JourneyCollectorDown to
	// team-c, and the TelemetryAbsent alert of each of its touchpoints,
	// which Prometheus fires later, inhibited by it.
	if err := stack.StopCollector("alerts", "renewal"); err != nil {
		t.Fatal(err)
	}
	collectorStopped := time.Now()

	// 1. team-a's critical sign-up fails: one page to team-a, nothing to
	// team-b or the default route; the ticket tier beside the page is
	// inhibited.
	if err := stack.Shop.Break(demoshop.Signup, demoshop.FaultDown); err != nil {
		t.Fatal(err)
	}
	waitFor(t, c, 3*time.Minute, "a page notification to team-a", func() error {
		if n := hooks.count("team-a-pager", "critical", "firing"); n == 0 {
			return fmt.Errorf("no page yet")
		}
		return nil
	})
	// Let the incident run for a while: further alerts join the group or
	// are inhibited, and must not notify again.
	time.Sleep(45 * time.Second)
	firing := firingAlerts(t, stack.PrometheusURL, `{namespace="alerts", touchpoint="signup"}`)
	pages := hooks.count("team-a-pager", "critical", "firing")
	teamA, teamB, other := hooks.count("team-a-pager", "", ""), hooks.count("team-b-pager", "", ""), hooks.count("default", "", "")
	t.Logf("sign-up incident: %d alerts firing in Prometheus (before: one notification each); notifications: team-a %d (%d page), team-b %d, default %d",
		firing, teamA, pages, teamB, other)
	if pages != 1 || teamA != 1 {
		t.Errorf("team-a got %d notifications, %d of them pages; want exactly one page for the incident\n%s", teamA, pages, hooks.dump())
	}
	if teamB != 0 || other != 0 {
		t.Errorf("the incident notified team-b %d and the default route %d times; want none\n%s", teamB, other, hooks.dump())
	}
	if firing < 2 {
		t.Errorf("want the page and ticket tiers both firing in Prometheus (the ticket inhibited in Alertmanager), got %d alerts", firing)
	}
	// The sign-up stays broken: JourneyStageDegraded of its stage fires
	// ten minutes in, and while the page fires it must notify no one
	// (checked last).
	signupBroken := time.Now()

	// 2. A maintenance window on the contacts API, and the API fails only
	// inside it: no notification, no budget spent (as the pricing page,
	// which has no fault), and the probe runs again within an interval of
	// the window's end.
	start := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	if time.Until(start) < 20*time.Second {
		start = start.Add(time.Minute)
	}
	mon, err := alertingMonitor(c, "contacts-api")
	if err != nil {
		t.Fatal(err)
	}
	mon.Spec.MaintenanceWindows = []cxv1alpha1.TimeWindow{{Name: "upgrade", Start: start.Format("2006-01-02T15:04"), Duration: "2m", TimeZone: "UTC"}}
	if err := c.Update(t.Context(), mon); err != nil {
		t.Fatal(err)
	}
	configureAlertmanager(t, stack, hooks)
	waitFor(t, c, time.Minute, "contacts-api shows the next window", func() error {
		mon, err := alertingMonitor(c, "contacts-api")
		if err != nil {
			return err
		}
		return hasCondition(mon.Status.Conditions, cxv1alpha1.InMaintenanceCondition, "False")
	})
	time.Sleep(time.Until(start) + 2*time.Second)
	if err := stack.Shop.Break(demoshop.ContactsAPI, demoshop.FaultDown); err != nil {
		t.Fatal(err)
	}
	waitFor(t, c, time.Minute, "contacts-api InMaintenance", func() error {
		mon, err := alertingMonitor(c, "contacts-api")
		if err != nil {
			return err
		}
		return hasCondition(mon.Status.Conditions, cxv1alpha1.InMaintenanceCondition, "True")
	})
	end := start.Add(2 * time.Minute)
	time.Sleep(time.Until(end) - 5*time.Second)
	if err := stack.Shop.Break(demoshop.ContactsAPI, demoshop.FaultNone); err != nil {
		t.Fatal(err)
	}
	runs := func() float64 {
		return queryValue(t, stack.PrometheusURL, `sum(journey_probe_total{namespace="alerts", touchpoint="contacts-api"})`)
	}
	pausedAt := runs()
	resumed := time.Duration(0)
	waitFor(t, c, time.Minute, "contacts-api probed again after the window", func() error {
		if runs() <= pausedAt {
			return fmt.Errorf("no run since the window")
		}
		resumed = time.Since(end)
		return nil
	})
	// The scrape that shows the run adds up to one scrape interval.
	if resumed > probeInterval+scrapeInterval+time.Second {
		t.Errorf("probing resumed %s after the window, want within one probe interval (%s) and a scrape", resumed.Round(time.Second), probeInterval)
	}
	time.Sleep(20 * time.Second)
	spent := budgetSpent(t, stack.PrometheusURL, "contacts-api")
	control := budgetSpent(t, stack.PrometheusURL, "pricing-page")
	// The sign-up's incident may still resolve or leave a ticket behind;
	// what counts here is what the contacts API's fault notifies.
	during := hooks.holding(map[string]string{"touchpoint": "contacts-api"})
	t.Logf("maintenance window: %d notifications; budget spent over the 1h window: contacts-api %.3f%%, control pricing-page %.3f%%; probing resumed %s after the window",
		during, spent, control, resumed.Round(100*time.Millisecond))
	if during != 0 {
		t.Errorf("a fault inside a maintenance window notified %d times\n%s", during, hooks.dump())
	}
	if math.Abs(spent-control) > 0.1 {
		t.Errorf("contacts-api spent %.3f%% of its budget, the control %.3f%%: want within 0.1 percentage point", spent, control)
	}

	// 3. The renewal journey's collector, stopped at the start.
	renewal := map[string]string{"journey": "renewal"}
	collectorDown := map[string]string{"journey": "renewal", "alertname": series.CollectorDownAlert}
	absent := map[string]string{"journey": "renewal", "alertname": series.TelemetryAbsentAlert}
	waitFor(t, c, 15*time.Minute, "TelemetryAbsent firing for both renewal touchpoints", func() error {
		if n := firingAlerts(t, stack.PrometheusURL, `{journey="renewal", alertname="`+series.TelemetryAbsentAlert+`"}`); n < 2 {
			return fmt.Errorf("%d firing", n)
		}
		return nil
	})
	// Alertmanager has the alerts within a rule evaluation and a group
	// interval (5s) of Prometheus firing them.
	time.Sleep(20 * time.Second)
	firingRenewal := firingAlerts(t, stack.PrometheusURL, `{journey="renewal"}`)
	t.Logf("collector down for %s: %d alerts firing in Prometheus (before: one notification each); notifications: %d JourneyCollectorDown, %d TelemetryAbsent, %d about the journey in all",
		time.Since(collectorStopped).Round(time.Second), firingRenewal, hooks.holding(collectorDown), hooks.holding(absent), hooks.holding(renewal))
	if got := hooks.holding(collectorDown); got != 1 || hooks.count("team-c-pager", "", "firing") != 1 {
		t.Errorf("want exactly one notification, JourneyCollectorDown to team-c, for the stopped collector; got %d of it\n%s", got, hooks.dump())
	}
	if got := hooks.holding(absent); got != 0 {
		t.Errorf("TelemetryAbsent notified %d times while JourneyCollectorDown fired; want it inhibited\n%s", got, hooks.dump())
	}
	// 1, continued. The sign-up's stage degrades while its page fires.
	stageDegraded := map[string]string{"journey": "trial", "alertname": series.StageDegradedAlert}
	waitFor(t, c, 5*time.Minute, "JourneyStageDegraded firing for the purchase stage", func() error {
		if n := firingAlerts(t, stack.PrometheusURL, `{journey="trial", stage="purchase", alertname="`+series.StageDegradedAlert+`"}`); n == 0 {
			return fmt.Errorf("not firing")
		}
		return nil
	})
	time.Sleep(20 * time.Second)
	pages = hooks.count("team-a-pager", "critical", "firing")
	t.Logf("sign-up incident after %s: %d alerts firing in Prometheus for the journey, JourneyStageDegraded among them; notifications: %d JourneyStageDegraded, team-a %d (%d page)",
		time.Since(signupBroken).Round(time.Second), firingAlerts(t, stack.PrometheusURL, `{journey="trial"}`), hooks.holding(stageDegraded), hooks.count("team-a-pager", "", ""), pages)
	if got := hooks.holding(stageDegraded); got != 0 {
		t.Errorf("JourneyStageDegraded notified %d times while the sign-up's page fired; want it inhibited\n%s", got, hooks.dump())
	}
	if pages != 1 || hooks.count("team-a-pager", "", "") != 1 {
		t.Errorf("team-a got %d notifications, %d of them pages, over the whole incident; want exactly one page\n%s", hooks.count("team-a-pager", "", ""), pages, hooks.dump())
	}
}

// configureAlertmanager gives Alertmanager the routing the operator
// generates for a plain Alertmanager (kubectl journey render
// --alertmanager) for the journeys in the cluster now, with a webhook per
// receiver, and has amtool check it.
func configureAlertmanager(t *testing.T, stack *localstack.Stack, hooks *webhooks) {
	t.Helper()
	urls := map[string]string{}
	for name, hook := range hooks.servers {
		urls[name] = hook.URL + "/" + name
	}
	config, err := stack.RouteAlerts(context.Background(), "alerts", urls)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(file, config, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(stack.Env.Bin("amtool"), "check-config", file).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config rejects the generated configuration: %v\n%s\n%s", err, out, config)
	}
}

// webhooks are the receivers' webhook endpoints; they keep every
// notification.
type webhooks struct {
	servers map[string]*httptest.Server
	mu      sync.Mutex
	got     []notification
}

type notification struct {
	Receiver    string            `json:"receiver"`
	Status      string            `json:"status"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []alert           `json:"alerts"`
}

type alert struct {
	Status string            `json:"status"`
	Labels map[string]string `json:"labels"`
}

func newWebhooks(t *testing.T, names ...string) *webhooks {
	h := &webhooks{servers: map[string]*httptest.Server{}}
	for _, name := range names {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var n notification
			if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			h.mu.Lock()
			h.got = append(h.got, n)
			h.mu.Unlock()
		}))
		t.Cleanup(srv.Close)
		h.servers[name] = srv
	}
	return h
}

// count counts the notifications to a receiver, of a severity and status
// ("" for any).
func (h *webhooks) count(receiver, severity, status string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, got := range h.got {
		if strings.HasSuffix(got.Receiver, receiver) && (status == "" || got.Status == status) &&
			(severity == "" || got.GroupLabels["severity"] == severity) {
			n++
		}
	}
	return n
}

// holding counts the notifications holding an alert with all these labels.
func (h *webhooks) holding(labels map[string]string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, got := range h.got {
		if slices.ContainsFunc(got.Alerts, func(a alert) bool {
			for k, v := range labels {
				if a.Labels[k] != v {
					return false
				}
			}
			return true
		}) {
			n++
		}
	}
	return n
}

func (h *webhooks) dump() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, n := range h.got {
		fmt.Fprintf(&b, "%s %s %v:", n.Receiver, n.Status, n.GroupLabels)
		for _, a := range n.Alerts {
			fmt.Fprintf(&b, " %s{%s,%s}", a.Labels["alertname"], a.Labels["touchpoint"], a.Labels["severity"])
		}
		b.WriteString("\n")
	}
	return b.String()
}

func alertingMonitor(c client.Client, name string) (*cxv1alpha1.TouchpointMonitor, error) {
	m := &cxv1alpha1.TouchpointMonitor{}
	return m, c.Get(context.Background(), client.ObjectKey{Namespace: "alerts", Name: name}, m)
}

// firingAlerts counts the alerts Prometheus fires that match a selector.
func firingAlerts(t *testing.T, promURL, selector string) int {
	t.Helper()
	return int(queryValue(t, promURL, fmt.Sprintf(`count(ALERTS%s) or vector(0)`, strings.Replace(selector, "}", `, alertstate="firing"}`, 1))))
}

// budgetSpent is the share of the 1h error budget (0.5%) a touchpoint's
// probe failures spent, in percent.
func budgetSpent(t *testing.T, promURL, touchpoint string) float64 {
	t.Helper()
	ratio := queryValue(t, promURL, fmt.Sprintf(`max(journey:touchpoint_errors:ratio_rate1h{namespace="alerts", touchpoint=%q}) or vector(0)`, touchpoint))
	return ratio / 0.005 * 100
}

// queryValue runs an instant query that returns one sample.
func queryValue(t *testing.T, promURL, query string) float64 {
	t.Helper()
	resp, err := http.Get(promURL + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below; nothing to report on close
	var body struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Data.Result) != 1 {
		t.Fatalf("%s: %d samples, want 1", query, len(body.Data.Result))
	}
	v, err := strconv.ParseFloat(body.Data.Result[0].Value[1].(string), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
