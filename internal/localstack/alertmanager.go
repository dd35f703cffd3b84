package localstack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// idleAlertmanagerConfig routes every alert to a receiver without
// integrations until SetAlertmanagerConfig gives the real routing: the
// routing depends on the maps, which exist only once the stack runs.
const idleAlertmanagerConfig = "route: {receiver: idle}\nreceivers: [{name: idle}]\n"

// startAlertmanager runs Alertmanager from bin/ on address, alone (no
// cluster), and waits until it is ready.
func (s *Stack) startAlertmanager(ctx context.Context, workDir, address string) error {
	dir := filepath.Join(workDir, "alertmanager")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return err
	}
	s.alertmanagerConfig = filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(s.alertmanagerConfig, []byte(idleAlertmanagerConfig), 0o644); err != nil {
		return err
	}
	stop, err := startProcess(dir, s.Env.Bin("alertmanager"),
		"--config.file="+s.alertmanagerConfig,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+address,
		"--cluster.listen-address=",
		"--log.level=warn",
	)
	if err != nil {
		return err
	}
	s.cleanup = append(s.cleanup, stop)
	s.AlertmanagerURL = "http://" + address
	if err := waitReady(ctx, s.AlertmanagerURL+"/-/ready"); err != nil {
		return fmt.Errorf("alertmanager (log: %s): %w", filepath.Join(dir, "alertmanager.log"), err)
	}
	return nil
}

// SetAlertmanagerConfig replaces Alertmanager's configuration and reloads
// it; Alertmanager answers the reload with an error for a configuration it
// rejects.
func (s *Stack) SetAlertmanagerConfig(ctx context.Context, config []byte) error {
	if s.alertmanagerConfig == "" {
		return fmt.Errorf("the stack runs no Alertmanager: set Options.Alertmanager")
	}
	if err := os.WriteFile(s.alertmanagerConfig, config, 0o644); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.AlertmanagerURL+"/-/reload", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close() // the status says whether the reload took
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("alertmanager rejected the configuration: %s", resp.Status)
	}
	return nil
}

// waitReady polls a readiness URL for up to a minute.
func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close() // only the status matters; the body is not read
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s not ready within a minute", url)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// RouteAlerts configures Alertmanager as a plain Alertmanager would be
// configured from `kubectl journey render --alertmanager`: the routes,
// inhibition rules and receivers the operator generates for the journeys of
// namespace as they are now, under a root route to the receiver "default",
// with a webhook per receiver name in webhooks ("default" included) and
// short timings (group_wait 1s, group_interval 5s) so that notifications
// follow alerts within seconds. It returns the configuration it set.
func (s *Stack) RouteAlerts(ctx context.Context, namespace string, webhooks map[string]string) ([]byte, error) {
	var maps cxv1alpha1.JourneyMapList
	if err := s.Env.Client.List(ctx, &maps, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var monitors cxv1alpha1.TouchpointMonitorList
	if err := s.Env.Client.List(ctx, &monitors, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	journeys := make([]render.RoutedJourney, 0, len(maps.Items))
	for i := range maps.Items {
		j := render.RoutedJourney{Map: &maps.Items[i]}
		for k := range monitors.Items {
			if monitors.Items[k].Spec.JourneyMapRef.Name != j.Map.Name {
				continue
			}
			if b, ok := journey.Resolve(&monitors.Items[k], j.Map); ok {
				j.Monitored = append(j.Monitored, b)
			}
		}
		journeys = append(journeys, j)
	}
	block, err := render.AlertmanagerBlock([]render.Routing{render.BuildRouting(namespace, journeys)})
	if err != nil {
		return nil, err
	}
	var parts struct {
		Route struct {
			Routes []any `json:"routes"`
		} `json:"route"`
		InhibitRules []any `json:"inhibit_rules"`
		Receivers    []any `json:"receivers"`
	}
	if err := yaml.Unmarshal(block, &parts); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(webhooks))
	for name := range webhooks {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		parts.Receivers = append(parts.Receivers, map[string]any{"name": name, "webhook_configs": []any{map[string]any{"url": webhooks[name]}}})
	}
	config, err := yaml.Marshal(map[string]any{
		"route": map[string]any{
			"receiver": "default", "group_by": []string{"alertname"},
			"group_wait": "1s", "group_interval": "5s", "repeat_interval": "1h",
			"routes": parts.Route.Routes,
		},
		"receivers":     parts.Receivers,
		"inhibit_rules": parts.InhibitRules,
	})
	if err != nil {
		return nil, err
	}
	return config, s.SetAlertmanagerConfig(ctx, config)
}
