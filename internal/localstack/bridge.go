package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/journeymap/journey-operator/internal/probeconfig"
	"github.com/journeymap/journey-operator/internal/render"
)

// bridge plays the kubelet and the Prometheus Operator for the local
// stack: PrometheusRules become rule files (and a Prometheus reload),
// collector ConfigMaps become journey-probe processes whose addresses are
// Prometheus' scrape targets, and the Secrets they read become files.
type bridge struct {
	client      client.Client
	workDir     string
	probeBinary string
	promURL     string
	// shopTarget is the demo shop's address, scraped beside the probes
	// for the funnel counters the sample map's KPI queries read.
	shopTarget string

	rulesDir, probesDir, targetsFile string

	// mu guards probes and stopped: the test stops a collector while the
	// bridge syncs them.
	mu     sync.Mutex
	probes map[string]*probeProcess
	// stopped are the collectors stopped for good (StopCollector).
	stopped map[string]bool
}

type probeProcess struct {
	address string
	stop    func() error
}

func (b *bridge) prepare() error {
	b.rulesDir = filepath.Join(b.workDir, "rules")
	b.probesDir = filepath.Join(b.workDir, "probes")
	b.targetsFile = filepath.Join(b.workDir, "targets.json")
	for _, dir := range []string{b.rulesDir, b.probesDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return b.writeTargets()
}

func (b *bridge) run(ctx context.Context) {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		// A failed round is retried on the next tick; the stack keeps going.
		_ = b.syncRules(ctx)
		_ = b.syncCollectors(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// syncRules writes one rule file per PrometheusRule and reloads Prometheus
// when any changed.
func (b *bridge) syncRules(ctx context.Context) error {
	var rules monitoringv1.PrometheusRuleList
	if err := b.client.List(ctx, &rules); err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, r := range rules.Items {
		data, err := render.RuleFile(r.Spec.Groups)
		if err != nil {
			return err
		}
		files[r.Namespace+"_"+r.Name+".yaml"] = data
	}
	changed, err := syncDir(b.rulesDir, files)
	if err != nil || !changed {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.promURL+"/-/reload", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close() // only the status matters; the body is not read
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("prometheus reload: %s", resp.Status)
	}
	return nil
}

// syncCollectors runs one journey-probe per collector with probes, keeps
// its config file current (journey-probe reloads it by itself), and lists
// the running probes as scrape targets.
func (b *bridge) syncCollectors(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var configMaps corev1.ConfigMapList
	if err := b.client.List(ctx, &configMaps, client.MatchingLabels{
		render.ManagedByLabel: render.ManagedByValue, render.ComponentLabel: "collector",
	}); err != nil {
		return err
	}
	wanted := map[string]bool{}
	var errs []error
	for _, cm := range configMaps.Items {
		key := cm.Namespace + "_" + cm.Name
		config, err := b.localConfig(ctx, cm.Namespace, cm.Data[probeconfig.ConfigFileName])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if config == nil {
			continue // no probes: the Deployment runs no replica either
		}
		if b.stopped[key] {
			continue
		}
		wanted[key] = true
		path := filepath.Join(b.probesDir, key, probeconfig.ConfigFileName)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := writeIfChanged(path, config); err != nil {
			return err
		}
		if _, running := b.probes[key]; !running {
			if err := b.startProbe(key, path); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for key, p := range b.probes {
		if !wanted[key] {
			errs = append(errs, p.stop())
			delete(b.probes, key)
		}
	}
	return errors.Join(append(errs, b.writeTargets())...)
}

// localConfig turns a collector config into one for a local process: the
// Secret files a Deployment would mount are written under the work
// directory and the config points there. nil means the config has no probe.
func (b *bridge) localConfig(ctx context.Context, namespace, config string) ([]byte, error) {
	parsed, err := probeconfig.ParseConfig([]byte(config))
	if err != nil || len(parsed.Probes) == 0 {
		return nil, err
	}
	secretsDir := filepath.Join(b.workDir, "secrets", namespace)
	var secrets corev1.SecretList
	if strings.Contains(config, probeconfig.SecretsDir) {
		if err := b.client.List(ctx, &secrets, client.InNamespace(namespace)); err != nil {
			return nil, err
		}
	}
	for _, s := range secrets.Items {
		for key, value := range s.Data {
			path := filepath.Join(secretsDir, s.Name, key)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, err
			}
			if err := writeIfChanged(path, value); err != nil {
				return nil, err
			}
		}
	}
	return []byte(strings.ReplaceAll(config, probeconfig.SecretsDir, secretsDir)), nil
}

func (b *bridge) startProbe(key, configPath string) error {
	address, err := FreeAddress()
	if err != nil {
		return err
	}
	stop, err := startProcess(filepath.Dir(configPath), b.probeBinary, "--config="+configPath, "--listen-address="+address)
	if err != nil {
		return err
	}
	b.probes[key] = &probeProcess{address: address, stop: stop}
	return nil
}

func (b *bridge) writeTargets() error {
	targets := make([]string, 0, len(b.probes))
	for _, p := range b.probes {
		targets = append(targets, p.address)
	}
	if b.shopTarget != "" {
		targets = append(targets, b.shopTarget)
	}
	sort.Strings(targets)
	data, err := json.Marshal([]map[string]any{{"targets": targets, "labels": map[string]string{}}})
	if err != nil {
		return err
	}
	return writeIfChanged(b.targetsFile, data)
}

// stopCollector stops a collector's probe process and keeps it stopped.
func (b *bridge) stopCollector(key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, running := b.probes[key]
	if !running {
		return fmt.Errorf("no collector %s is running", key)
	}
	if b.stopped == nil {
		b.stopped = map[string]bool{}
	}
	b.stopped[key] = true
	delete(b.probes, key)
	return errors.Join(p.stop(), b.writeTargets())
}

func (b *bridge) stopProbes() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for key, p := range b.probes {
		errs = append(errs, p.stop())
		delete(b.probes, key)
	}
	return errors.Join(errs...)
}

// syncDir makes dir hold exactly files; it reports whether anything changed.
func syncDir(dir string, files map[string][]byte) (bool, error) {
	changed := false
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if _, keep := files[e.Name()]; !keep {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return false, err
			}
			changed = true
		}
	}
	for name, data := range files {
		old, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := writeIfChanged(filepath.Join(dir, name), data); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// writeIfChanged replaces a file atomically, as a ConfigMap volume does, and
// only when its content changes, so watchers see real changes only.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
