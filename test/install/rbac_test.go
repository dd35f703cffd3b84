package install

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLeastPrivilege runs the samples through the manager that TestMain
// started as the journey-operator ServiceAccount, bound only to the roles
// of config/rbac: every object converges, children of every kind
// (collector Deployment, Service, ConfigMap, PrometheusRule,
// ServiceMonitor) are written, and the apiserver never answers 403.
func TestLeastPrivilege(t *testing.T) {
	const ns = "least-privilege"
	createNamespace(t, ns)
	if _, stderr, err := kubectl(nil, "apply", "--server-side", "-n", ns, "-f", "config/samples"); err != nil {
		t.Fatalf("applying the samples: %v\n%s", err, stderr)
	}
	want := sampleCount(t)
	eventually(t, convergeTimeout, func() error { return allReady(ns, want) })

	for _, kind := range []string{"deployments", "services", "configmaps", "prometheusrules.monitoring.coreos.com", "servicemonitors.monitoring.coreos.com"} {
		out, stderr, err := kubectl(nil, "get", kind, "-n", ns, "-l", "app.kubernetes.io/managed-by=journey-operator", "-o", "name")
		if err != nil || strings.TrimSpace(out) == "" {
			t.Errorf("no %s written by the operator: %v %s", kind, err, stderr)
		}
	}
	if _, stderr, err := kubectl(nil, "get", "lease", "-n", operatorNamespace, leaderElectionID); err != nil {
		t.Errorf("no leader election Lease %s/%s: %v %s", operatorNamespace, leaderElectionID, err, stderr)
	}
	if refused := apiResponses.forbiddenRequests(); len(refused) > 0 {
		t.Errorf("the manager was refused (403) — add the +kubebuilder:rbac marker and run `make manifests`:\n%s", strings.Join(refused, "\n"))
	}
	if warnings := apiResponses.warningsSeen(); len(warnings) > 0 {
		t.Errorf("the apiserver warned the manager (namespace %s enforces the restricted Pod Security Standard):\n%s", ns, strings.Join(warnings, "\n"))
	}
}

// TestMetricsRequireAuthorization checks the secure metrics endpoint as
// config/rbac sets it up: the manager may review tokens and access, and
// only a client bound to journey-operator-metrics-reader may scrape.
func TestMetricsRequireAuthorization(t *testing.T) {
	ctx := context.Background()
	for _, sa := range []string{"prometheus", "stranger"} {
		if _, stderr, err := kubectl(nil, "create", "serviceaccount", sa, "-n", operatorNamespace); err != nil {
			t.Fatalf("creating ServiceAccount %s: %v %s", sa, err, stderr)
		}
	}
	if _, stderr, err := kubectl(nil, "create", "clusterrolebinding", "prometheus-scrapes-journey-operator",
		"--clusterrole=journey-operator-metrics-reader", "--serviceaccount="+operatorNamespace+":prometheus"); err != nil {
		t.Fatalf("binding the metrics reader role: %v %s", err, stderr)
	}
	prometheusToken, err := serviceAccountToken(ctx, operatorNamespace, "prometheus")
	if err != nil {
		t.Fatal(err)
	}
	strangerToken, err := serviceAccountToken(ctx, operatorNamespace, "stranger")
	if err != nil {
		t.Fatal(err)
	}

	eventually(t, convergeTimeout, func() error {
		status, body, err := scrape(prometheusToken)
		if err != nil {
			return err
		}
		if status != http.StatusOK || !strings.Contains(body, "controller_runtime_reconcile_total") {
			return fmt.Errorf("metrics reader got %d: %.200s", status, body)
		}
		return nil
	})
	for name, tc := range map[string]struct {
		token string
		want  int
	}{
		"no token":                 {"", http.StatusUnauthorized},
		"token of an unbound user": {strangerToken, http.StatusForbidden},
	} {
		status, body, err := scrape(tc.token)
		if err != nil || status != tc.want {
			t.Errorf("%s: got %d (%v) %.200s, want %d", name, status, err, body, tc.want)
		}
	}
	if refused := apiResponses.forbiddenRequests(); len(refused) > 0 {
		t.Errorf("the manager was refused (403) while authorizing scrapes:\n%s", strings.Join(refused, "\n"))
	}
}

// scrape reads the manager's metrics with a bearer token.
func scrape(token string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, metricsURL, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// The manager serves a self-signed certificate, as in a cluster where
	// the ServiceMonitor skips verification.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below; closing cannot lose anything
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}
