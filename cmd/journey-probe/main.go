// Command journey-probe is the journey-operator collector: it runs the
// synthetic touchpoint checks of its config file and exports the results as
// Prometheus metrics.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/journeymap/journey-operator/internal/probe"
	"github.com/journeymap/journey-operator/internal/probeconfig"
	"github.com/journeymap/journey-operator/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "journey-probe:", err)
		stop()
		os.Exit(1)
	}
}

// run is the whole program, apart from process plumbing, so tests can run it
// in-process. Logs go to logOut; onListen, when set, learns the address the
// metrics server listens on (tests listen on port 0).
func run(ctx context.Context, args []string, logOut io.Writer, onListen func(net.Addr)) error {
	fs := flag.NewFlagSet("journey-probe", flag.ContinueOnError)
	fs.SetOutput(logOut)
	configPath := fs.String("config", "/etc/journey-probe/config/"+probeconfig.ConfigFileName, "path of the probes config file; watched for changes")
	listen := fs.String("listen-address", ":9115", "address serving /metrics, /healthz and /readyz")
	maxConcurrency := fs.Int("max-concurrency", 16, "maximum number of probe runs in flight")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		_, err := fmt.Println(version.String())
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *maxConcurrency < 1 {
		return fmt.Errorf("--max-concurrency must be at least 1, got %d", *maxConcurrency)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	engine := probe.NewEngine(probe.NewMetrics(reg), log, *maxConcurrency)
	defer engine.Stop()
	reloader := probe.NewReloader(*configPath, engine, log)
	if err := reloader.Load(); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	if onListen != nil {
		onListen(ln.Addr())
	}
	srv := &http.Server{
		Handler:           probe.NewHandler(reg, engine.Ready),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	watchCtx, cancelWatch := context.WithCancel(ctx)
	defer cancelWatch()
	go func() { errc <- reloader.Run(watchCtx) }()
	log.Info("journey-probe started", "config", *configPath, "address", ln.Addr().String(),
		"maxConcurrency", *maxConcurrency)

	select {
	case <-ctx.Done():
	case err = <-errc:
		// Serving or watching stopped on its own: exit so the pod restarts.
	}
	cancelWatch()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("journey-probe stopped")
	return err
}
