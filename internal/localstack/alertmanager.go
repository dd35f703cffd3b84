package localstack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
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
