package probe

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// DefaultPollInterval is how often a Reloader re-reads the config file even
// without a file event, in case an event was missed.
const DefaultPollInterval = 30 * time.Second

// settleDelay lets a burst of file events (a ConfigMap update is several, a
// plain write may be a truncate then a write) settle before the file is read.
const settleDelay = 100 * time.Millisecond

// Reloader keeps an Engine in step with a config file.
type Reloader struct {
	// PollInterval is how often the file is re-read without an event;
	// DefaultPollInterval when not positive.
	PollInterval time.Duration

	path   string
	engine *Engine
	log    *slog.Logger
	// last is the content last seen, applied or rejected: reading the same
	// bytes again is a no-op, so polling neither restarts nor re-logs.
	last []byte
	// lastErr is the last read error, logged once rather than at every poll.
	lastErr string
}

// NewReloader returns a Reloader for the config file at path.
func NewReloader(path string, e *Engine, log *slog.Logger) *Reloader {
	return &Reloader{PollInterval: DefaultPollInterval, path: path, engine: e, log: log}
}

// Load reads and applies the file once. At start-up its error is fatal:
// there is no last good config to keep running.
func (r *Reloader) Load() error {
	data, err := os.ReadFile(r.path)
	if err != nil {
		return err
	}
	r.last = data
	return r.apply(data)
}

func (r *Reloader) apply(data []byte) error {
	cfg, err := probeconfig.ParseConfig(data)
	if err == nil {
		err = r.engine.Apply(cfg)
	}
	if err != nil {
		return fmt.Errorf("config %s: %w", r.path, err)
	}
	return nil
}

// Run watches the file until ctx ends. It watches the directory rather than
// the file: a ConfigMap volume updates by swapping a `..data` symlink, which
// never touches the file's own inode, and editors often replace files by
// rename. Any event in the directory triggers a re-read.
func (r *Reloader) Run(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	// Closing only stops watching, which is what returning means anyway.
	defer func() { _ = w.Close() }()
	if err := w.Add(filepath.Dir(r.path)); err != nil {
		return fmt.Errorf("watch %s: %w", filepath.Dir(r.path), err)
	}
	settle := time.NewTimer(0)
	<-settle.C
	every := r.PollInterval
	if every <= 0 {
		every = DefaultPollInterval
	}
	poll := time.NewTicker(every)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.Events:
			settle.Reset(settleDelay)
		case err := <-w.Errors:
			r.log.Warn("config watch error; relying on polling", "path", r.path, "error", err.Error())
		case <-settle.C:
			r.reload()
		case <-poll.C:
			r.reload()
		}
	}
}

// reload applies the file if its content changed. A rejected file is logged
// and the running configuration stays.
func (r *Reloader) reload() {
	data, err := os.ReadFile(r.path)
	if err != nil {
		if err.Error() != r.lastErr {
			r.lastErr = err.Error()
			r.log.Error("config unreadable; keeping the running config", "path", r.path, "error", r.lastErr)
		}
		return
	}
	r.lastErr = ""
	if bytes.Equal(data, r.last) {
		return
	}
	r.last = data
	if err := r.apply(data); err != nil {
		r.log.Error("config rejected; keeping the running config", "error", err.Error())
	}
}
