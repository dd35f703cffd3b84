package probe

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// startReloader loads path into e and watches it until the test ends.
func startReloader(t *testing.T, e *testEngine, path string, poll time.Duration) {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	r := NewReloader(path, e.Engine, log)
	r.PollInterval = poll
	if err := r.Load(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("reloader: %v", err)
		}
	})
}

// runs is how many runs of probe id the engine has recorded; -1 when the
// probe has no series.
func runs(t *testing.T, e *testEngine, id string) float64 {
	t.Helper()
	return value(scrape(t, e.metricsURL), "journey_probe_duration_seconds", map[string]string{"probe": id})
}

func (e *testEngine) runner(id string) *runner {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.probes[id]
}

func TestReloadAddChangeRemove(t *testing.T) {
	ok := okServer(t).URL
	failing := statusServer(t, http.StatusInternalServerError).URL
	path := filepath.Join(t.TempDir(), probeconfig.ConfigFileName)
	writeConfig(t, path, probeconfig.Config{Probes: []probeconfig.Probe{
		httpProbeTo("shop/a", ok), httpProbeTo("shop/b", ok), httpProbeTo("shop/c", ok),
	}})
	e := newTestEngine(t, 4)
	startReloader(t, e, path, time.Hour)
	eventually(t, "probe a to run a few times", func() bool { return runs(t, e, "shop/a") >= 5 })
	runnerA := e.runner("shop/a")
	before := runs(t, e, "shop/a")

	writeConfig(t, path, probeconfig.Config{Probes: []probeconfig.Probe{
		httpProbeTo("shop/a", ok), httpProbeTo("shop/b", failing), httpProbeTo("shop/d", ok),
	}})
	eventually(t, "the new config to apply", func() bool {
		fams := scrape(t, e.metricsURL)
		return value(fams, "journey_probe_duration_seconds", map[string]string{"probe": "shop/d"}) >= 1 &&
			find(fams, "journey_probe_total", map[string]string{"probe": "shop/c"}) == nil &&
			value(fams, "journey_probe_success", map[string]string{"probe": "shop/b"}) == 0
	})
	if after := runs(t, e, "shop/a"); after < before {
		t.Errorf("unchanged probe a went from %v to %v runs: its counters were reset", before, after)
	}
	if e.runner("shop/a") != runnerA {
		t.Errorf("unchanged probe a was restarted")
	}
	if !containsAll(e.logs.String(), `"started":2,"stopped":2,"unchanged":1`) {
		t.Errorf("no log of what the reload changed; logs:\n%s", e.logs.String())
	}
}

func TestReloadConfigMapSymlinkSwap(t *testing.T) {
	ok := okServer(t).URL
	dir := t.TempDir()
	// The layout of a ConfigMap volume: the key is a symlink through ..data,
	// itself a symlink to a timestamped directory that an update replaces.
	version := func(name string, cfg probeconfig.Config) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		writeConfig(t, filepath.Join(dir, name, probeconfig.ConfigFileName), cfg)
	}
	version("..2026_01_01_v1", probeconfig.Config{Probes: []probeconfig.Probe{httpProbeTo("shop/old", ok)}})
	mustSymlink(t, "..2026_01_01_v1", filepath.Join(dir, "..data"))
	mustSymlink(t, filepath.Join("..data", probeconfig.ConfigFileName), filepath.Join(dir, probeconfig.ConfigFileName))

	e := newTestEngine(t, 4)
	startReloader(t, e, filepath.Join(dir, probeconfig.ConfigFileName), time.Hour)
	eventually(t, "the first version to run", func() bool { return runs(t, e, "shop/old") >= 1 })

	version("..2026_01_01_v2", probeconfig.Config{Probes: []probeconfig.Probe{httpProbeTo("shop/new", ok)}})
	mustSymlink(t, "..2026_01_01_v2", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..2026_01_01_v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the swapped-in version to run", func() bool {
		return runs(t, e, "shop/new") >= 1 && runs(t, e, "shop/old") == -1
	})
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestReloadInvalidConfigKeepsLastGood(t *testing.T) {
	ok := okServer(t).URL
	path := filepath.Join(t.TempDir(), probeconfig.ConfigFileName)
	writeConfig(t, path, probeconfig.Config{Probes: []probeconfig.Probe{httpProbeTo("shop/a", ok)}})
	e := newTestEngine(t, 4)
	// Fast polling must not re-apply or re-log the same rejected content.
	startReloader(t, e, path, 20*time.Millisecond)
	eventually(t, "probe a to run", func() bool { return runs(t, e, "shop/a") >= 1 })

	writeConfig(t, path, probeconfig.Config{Probes: []probeconfig.Probe{httpProbeTo("shop/a", ok), httpProbeTo("shop/a", ok)}})
	eventually(t, "the rejection to be logged", func() bool {
		return containsAll(e.logs.String(), `"msg":"config rejected; keeping the running config"`, `probe \"shop/a\": duplicate id`)
	})
	before := runs(t, e, "shop/a")
	eventually(t, "the last good config to keep running", func() bool { return runs(t, e, "shop/a") > before+5 })
	if n := strings.Count(e.logs.String(), "config rejected"); n != 1 {
		t.Errorf("rejection logged %d times, want once", n)
	}

	writeFileAtomic(t, path, []byte("probes: [\n"))
	eventually(t, "the YAML error to be logged", func() bool { return strings.Count(e.logs.String(), "config rejected") == 2 })

	writeConfig(t, path, probeconfig.Config{Probes: []probeconfig.Probe{httpProbeTo("shop/b", ok)}})
	eventually(t, "the next good config to apply", func() bool { return runs(t, e, "shop/b") >= 1 && runs(t, e, "shop/a") == -1 })
}

func TestReloadPollsWhenEventsAreMissed(t *testing.T) {
	ok := okServer(t).URL
	// The watched directory holds only a symlink to a file elsewhere, so
	// writes to that file raise no event where the reloader listens.
	target := filepath.Join(t.TempDir(), "real.yaml")
	writeConfig(t, target, probeconfig.Config{Probes: []probeconfig.Probe{httpProbeTo("shop/a", ok)}})
	path := filepath.Join(t.TempDir(), probeconfig.ConfigFileName)
	mustSymlink(t, target, path)
	e := newTestEngine(t, 4)
	startReloader(t, e, path, 50*time.Millisecond)
	writeConfig(t, target, probeconfig.Config{Probes: []probeconfig.Probe{httpProbeTo("shop/b", ok)}})
	eventually(t, "polling to pick up the change", func() bool { return runs(t, e, "shop/b") >= 1 })
}

func TestReloaderLoadRejectsInvalidConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), probeconfig.ConfigFileName)
	if err := os.WriteFile(path, []byte("probes:\n- id: a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, 1)
	err := NewReloader(path, e.Engine, slog.New(slog.DiscardHandler)).Load()
	if err == nil || !strings.Contains(err.Error(), `probe "a": labels.namespace`) {
		t.Fatalf("error = %v, want the problem named", err)
	}
	if e.Ready() {
		t.Fatal("engine ready without a config")
	}
}
