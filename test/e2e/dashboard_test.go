package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/dashboard"
	"github.com/journeymap/journey-operator/internal/dashboard/dashboardtest"
	"github.com/journeymap/journey-operator/internal/demoshop"
	"github.com/journeymap/journey-operator/internal/localstack"
	"github.com/journeymap/journey-operator/internal/render"
)

// sampleNamespace is where the sample journeys run, as in `make demo`.
const sampleNamespace = "demo"

// TestDashboardQueriesReturnData runs the sample journeys as `make demo`
// does (config/samples' personas and maps, config/demo's monitors probing
// the demo shop), reads the dashboard the operator wrote for each map,
// and runs every query of every panel against the stack's Prometheus, as
// an instant query and as a range query over the last minutes, with the
// dashboard's variables expanded the way Grafana expands them. Each must
// return data; a failure names the dashboard, the panel and the query. The
// firing alerts of healthy journeys are none, so that panel's query must
// first only run; then the pricing page breaks, and it must show the
// alert that fires (the business-phone journey's touchpoint, a TCP port of
// the shop, cannot break: its alerts query stays checked by running only).
func TestDashboardQueriesReturnData(t *testing.T) {
	ctx := t.Context()
	stack := startStack(t, localstack.Options{})
	c := stack.Env.Client
	maps := applySampleJourneys(t, c, stack.ShopURL)

	for _, name := range maps {
		waitFor(t, c, 5*time.Minute, "map "+name+" Healthy with a success ratio", func() error {
			m := &cxv1alpha1.JourneyMap{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: sampleNamespace, Name: name}, m); err != nil {
				return err
			}
			if m.Status.Health != cxv1alpha1.HealthHealthy || m.Status.SuccessRatio == "" {
				return fmt.Errorf("health %s, success ratio %q", m.Status.Health, m.Status.SuccessRatio)
			}
			return nil
		})
	}

	prom := promClient{base: stack.PrometheusURL}
	var alertQueries []dashboardtest.Target
	var trialVars map[string]string
	for _, name := range maps {
		cm := &corev1.ConfigMap{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: sampleNamespace, Name: render.DashboardName(name)}, cm); err != nil {
			t.Fatalf("dashboard of %s: %v", name, err)
		}
		d, err := dashboardtest.Parse([]byte(cm.Data[render.DashboardKey(sampleNamespace, name)]))
		if err != nil {
			t.Fatalf("dashboard of %s: %v", name, err)
		}
		vars := d.Variables()
		if vars[dashboard.NamespaceVariable] != sampleNamespace || vars[dashboard.JourneyVariable] != name || vars[dashboard.PersonaVariable] == "" {
			t.Fatalf("dashboard of %s: variables %v, want the map's namespace, name and persona", name, vars)
		}
		targets := d.Targets()
		t.Logf("dashboard %q: %d queries", d.Title, len(targets))
		// The long objective windows are recorded every 2 minutes, and a
		// fresh Prometheus has few samples: give every query time to find
		// data, then report each that still has none.
		asked := time.Now()
		waitFor(t, c, 4*time.Minute, "every query of "+d.Title+" returns data", func() error {
			var failed []string
			for _, target := range targets {
				if err := runTarget(ctx, prom, target, vars, !isAlerts(target)); err != nil {
					failed = append(failed, fmt.Sprintf("panel %q query %s: %v", target.Panel, target.RefID, err))
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d of %d queries:\n%s", len(failed), len(targets), strings.Join(failed, "\n"))
			}
			return nil
		})
		t.Logf("dashboard %q: every query answered with data %s after the map was Healthy", d.Title, time.Since(asked).Round(time.Second))
		if name == "marketing-automation-trial" {
			trialVars = vars
			for _, target := range targets {
				if isAlerts(target) {
					alertQueries = append(alertQueries, target)
				}
			}
		}
	}

	if len(alertQueries) == 0 {
		t.Fatal("the marketing-automation-trial dashboard has no firing alerts query")
	}
	if err := stack.Shop.Break(demoshop.PricingPage, demoshop.FaultDown); err != nil {
		t.Fatal(err)
	}
	broken := time.Now()
	waitFor(t, c, 6*time.Minute, "the firing alerts panel shows the broken pricing page's alert", func() error {
		for _, target := range alertQueries {
			if err := runTarget(ctx, prom, target, trialVars, true); err != nil {
				return fmt.Errorf("panel %q query %s: %w", target.Panel, target.RefID, err)
			}
		}
		return nil
	})
	t.Logf("the firing alerts panel showed the pricing page's alert %s after the break", time.Since(broken).Round(time.Second))
}

// isAlerts tells the firing alerts panel's query.
func isAlerts(target dashboardtest.Target) bool {
	return strings.HasPrefix(target.Expr, "ALERTS{")
}

// rangeLength and step are the range queries' window, as a dashboard of
// the last minutes would ask for it.
const (
	rangeLength = 10 * time.Minute
	step        = 15 * time.Second
)

// runTarget runs one panel query as Grafana would: instant, and over a
// range unless the target is instant only. Each must succeed and, with
// wantData, return a series.
func runTarget(ctx context.Context, prom promClient, target dashboardtest.Target, vars map[string]string, wantData bool) error {
	expr, err := dashboardtest.Expand(target.Expr, vars, rangeLength, step, scrapeInterval)
	if err != nil {
		return err
	}
	now := time.Now()
	n, err := prom.query(ctx, "/api/v1/query", url.Values{"query": {expr}, "time": {unix(now)}})
	if err != nil {
		return fmt.Errorf("%s: %w", expr, err)
	}
	if n == 0 && wantData {
		return fmt.Errorf("%s: instant query returned no series", expr)
	}
	if target.Instant {
		return nil
	}
	n, err = prom.query(ctx, "/api/v1/query_range", url.Values{
		"query": {expr}, "start": {unix(now.Add(-rangeLength))}, "end": {unix(now)}, "step": {strconv.Itoa(int(step.Seconds()))},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", expr, err)
	}
	if n == 0 && wantData {
		return fmt.Errorf("%s: range query returned no series", expr)
	}
	return nil
}

func unix(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// promClient asks the Prometheus HTTP API and counts the series of a
// successful answer.
type promClient struct{ base string }

func (p promClient) query(ctx context.Context, path string, form url.Values) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var answer struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	if answer.Status != "success" {
		return 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, answer.Error)
	}
	return len(answer.Data.Result), nil
}

// applySampleJourneys creates the samples' personas and maps and the demo's
// monitors, pointed at the shop, in sampleNamespace, and returns the maps'
// names.
func applySampleJourneys(t *testing.T, c client.Client, shopURL string) []string {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	manifests := []string{"apiVersion: v1\nkind: Namespace\nmetadata: {name: " + sampleNamespace + "}"}
	samples, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range samples {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "kind: Persona") || strings.Contains(string(data), "kind: JourneyMap") {
			manifests = append(manifests, string(data))
		}
	}
	monitors, err := os.ReadFile(filepath.Join(root, "config", "demo", "monitors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	shop := strings.NewReplacer("${SHOP_URL}", shopURL, "${SHOP_ADDRESS}", strings.TrimPrefix(shopURL, "http://"))
	manifests = append(manifests, shop.Replace(string(monitors)))

	var maps []string
	for _, m := range manifests {
		for _, doc := range strings.Split(m, "\n---\n") {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
				t.Fatal(err)
			}
			if len(obj.Object) == 0 {
				continue
			}
			if obj.GetKind() != "Namespace" {
				obj.SetNamespace(sampleNamespace)
			}
			if err := c.Create(context.Background(), obj); err != nil {
				t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
			}
			if obj.GetKind() == "JourneyMap" {
				maps = append(maps, obj.GetName())
			}
		}
	}
	return maps
}
