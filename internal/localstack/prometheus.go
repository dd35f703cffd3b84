package localstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"
)

// PrometheusOptions say how to run a Prometheus from bin/.
type PrometheusOptions struct {
	// Binary is the prometheus executable.
	Binary string
	// Dir holds its configuration, data and log.
	Dir string
	// Address is a loopback host:port for its HTTP API.
	Address string
	// RuleFiles are the globs of the rule files to evaluate.
	RuleFiles []string
	// ScrapeConfigs are the scrape_configs entries of its configuration.
	ScrapeConfigs []any
	// ScrapeInterval and EvaluationInterval are the global intervals.
	ScrapeInterval, EvaluationInterval time.Duration
	// Alertmanagers are the host:port of the Alertmanagers alerts go to.
	Alertmanagers []string
}

// StartPrometheus runs Prometheus with opts and waits until it is ready;
// the function returned stops it.
func StartPrometheus(ctx context.Context, opts PrometheusOptions) (func() error, error) {
	if err := os.MkdirAll(filepath.Join(opts.Dir, "data"), 0o755); err != nil {
		return nil, err
	}
	config := map[string]any{
		"global": map[string]any{
			"scrape_interval":     opts.ScrapeInterval.String(),
			"evaluation_interval": opts.EvaluationInterval.String(),
		},
		"rule_files":     opts.RuleFiles,
		"scrape_configs": opts.ScrapeConfigs,
	}
	if len(opts.Alertmanagers) > 0 {
		config["alerting"] = map[string]any{"alertmanagers": []any{map[string]any{"static_configs": []any{map[string]any{"targets": opts.Alertmanagers}}}}}
	}
	data, err := yaml.Marshal(config)
	if err != nil {
		return nil, err
	}
	configFile := filepath.Join(opts.Dir, "prometheus.yml")
	if err := os.WriteFile(configFile, data, 0o644); err != nil {
		return nil, err
	}
	stop, err := startProcess(opts.Dir, opts.Binary,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(opts.Dir, "data"),
		"--web.listen-address="+opts.Address,
		"--web.enable-lifecycle",
		"--log.level=warn",
	)
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, "http://"+opts.Address+"/-/ready"); err != nil {
		_ = stop()
		return nil, fmt.Errorf("prometheus (log: %s): %w", filepath.Join(opts.Dir, "prometheus.log"), err)
	}
	return stop, nil
}

// startPrometheus runs the demo's Prometheus, loading the bridge's rule
// files and scraping the bridge's probe targets.
func startPrometheus(ctx context.Context, binary, workDir, address, rulesDir, targetsFile string, interval time.Duration, alertmanagers []string) (func() error, error) {
	return StartPrometheus(ctx, PrometheusOptions{
		Binary:    binary,
		Dir:       filepath.Join(workDir, "prometheus"),
		Address:   address,
		RuleFiles: []string{filepath.Join(rulesDir, "*.yaml")},
		ScrapeConfigs: []any{map[string]any{
			"job_name": "journey-probe",
			// The probe's namespace, journey and touchpoint labels are the
			// point; they must not be renamed to exported_*.
			"honor_labels":    true,
			"file_sd_configs": []any{map[string]any{"files": []string{targetsFile}, "refresh_interval": "5s"}},
		}},
		ScrapeInterval:     interval,
		EvaluationInterval: interval,
		Alertmanagers:      alertmanagers,
	})
}
