package localstack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"
)

// startPrometheus runs Prometheus from bin/ on a loopback address, loading
// the bridge's rule files and scraping the bridge's probe targets, and
// waits until it is ready.
func startPrometheus(ctx context.Context, binary, workDir, address, rulesDir, targetsFile string, interval time.Duration) (func() error, error) {
	dir := filepath.Join(workDir, "prometheus")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, err
	}
	config := map[string]any{
		"global": map[string]any{
			"scrape_interval":     interval.String(),
			"evaluation_interval": interval.String(),
		},
		"rule_files": []string{filepath.Join(rulesDir, "*.yaml")},
		"scrape_configs": []any{map[string]any{
			"job_name": "journey-probe",
			// The probe's namespace, journey and touchpoint labels are the
			// point; they must not be renamed to exported_*.
			"honor_labels":    true,
			"file_sd_configs": []any{map[string]any{"files": []string{targetsFile}, "refresh_interval": "5s"}},
		}},
	}
	data, err := yaml.Marshal(config)
	if err != nil {
		return nil, err
	}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, data, 0o644); err != nil {
		return nil, err
	}
	stop, err := startProcess(dir, binary,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+address,
		"--web.enable-lifecycle",
		"--log.level=warn",
	)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+address+"/-/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close() // only the status matters; the body is not read
			if resp.StatusCode == http.StatusOK {
				return stop, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = stop()
			return nil, fmt.Errorf("prometheus did not become ready on %s (log: %s)", address, filepath.Join(dir, "prometheus.log"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
