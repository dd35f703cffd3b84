// Package localstack runs the whole journey-operator loop on one machine,
// for the end-to-end test and `make demo`: the test control plane (with
// kube-controller-manager), a real Prometheus, the operator, the demo shop,
// and journey-probe processes running the collector configs the operator
// renders. A small bridge does the work the kubelet and the Prometheus
// Operator do in a cluster: it turns PrometheusRules into rule files and
// collector ConfigMaps into local journey-probe processes and scrape
// targets.
package localstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/journeymap/journey-operator/internal/controller"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/demoshop"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/scheme"
)

// Options tune the stack.
type Options struct {
	// WorkDir holds the kubeconfig, Prometheus' data and configuration,
	// the rule files, the probe configs and every log.
	WorkDir string
	// ScrapeInterval is Prometheus' scrape and default evaluation interval.
	ScrapeInterval time.Duration
	// HealthInterval is how often the operator reads health.
	HealthInterval time.Duration
	// ShopAddress is where the demo shop listens; a free loopback port when
	// empty.
	ShopAddress string
	// PrometheusAddress is where Prometheus listens; a free loopback port
	// when empty.
	PrometheusAddress string
	// Logger receives the operator's logs; discarded when unset.
	Logger logr.Logger
	// Alertmanager runs an Alertmanager that Prometheus sends its alerts
	// to; its routing is set with SetAlertmanagerConfig.
	Alertmanager bool
}

// Stack is the running loop.
type Stack struct {
	Env           *controlplane.Env
	Kubeconfig    string
	PrometheusURL string
	ShopURL       string
	Shop          *demoshop.Shop
	// AlertmanagerURL is set with Options.Alertmanager.
	AlertmanagerURL string

	alertmanagerConfig string
	bridge             *bridge

	cancel  context.CancelFunc
	cleanup []func() error
}

// Start brings the loop up. Stop it with Stop, also when Start fails
// half-way: it cleans up what did start.
func Start(ctx context.Context, opts Options) (s *Stack, err error) {
	s = &Stack{}
	ctx, s.cancel = context.WithCancel(ctx)
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Stop())
			s = nil
		}
	}()
	root, err := controlplane.RepoRoot()
	if err != nil {
		return s, err
	}

	if s.Env, err = controlplane.Start(controlplane.Options{ExtraCRDPaths: controlplane.MonitoringCRDs(root)}); err != nil {
		return s, err
	}
	s.cleanup = append(s.cleanup, s.Env.Stop)
	if s.Kubeconfig, err = s.Env.Kubeconfig(opts.WorkDir); err != nil {
		return s, err
	}
	stopKCM, err := s.Env.StartControllerManager(opts.WorkDir)
	if err != nil {
		return s, err
	}
	s.cleanup = append(s.cleanup, stopKCM)

	if err := s.startShop(opts.ShopAddress); err != nil {
		return s, err
	}
	probeBinary := filepath.Join(opts.WorkDir, "journey-probe")
	if out, err := goBuild(root, probeBinary, "./cmd/journey-probe"); err != nil {
		return s, fmt.Errorf("building journey-probe: %w\n%s", err, out)
	}

	promAddress := opts.PrometheusAddress
	if promAddress == "" {
		if promAddress, err = FreeAddress(); err != nil {
			return s, err
		}
	}
	b := &bridge{
		client:      s.Env.Client,
		workDir:     opts.WorkDir,
		probeBinary: probeBinary,
		promURL:     "http://" + promAddress,
		shopTarget:  strings.TrimPrefix(s.ShopURL, "http://"),
		probes:      map[string]*probeProcess{},
	}
	if err := b.prepare(); err != nil {
		return s, err
	}
	s.bridge = b
	var alertmanagers []string
	if opts.Alertmanager {
		address, err := FreeAddress()
		if err != nil {
			return s, err
		}
		if err := s.startAlertmanager(ctx, opts.WorkDir, address); err != nil {
			return s, err
		}
		alertmanagers = append(alertmanagers, address)
	}
	stopProm, err := startPrometheus(ctx, s.Env.Bin("prometheus"), opts.WorkDir, promAddress, b.rulesDir, b.targetsFile, opts.ScrapeInterval, alertmanagers)
	if err != nil {
		return s, err
	}
	s.cleanup = append(s.cleanup, stopProm)
	s.PrometheusURL = "http://" + promAddress

	if err := s.startOperator(ctx, opts); err != nil {
		return s, err
	}
	bridgeDone := make(chan struct{})
	go func() {
		defer close(bridgeDone)
		b.run(ctx)
	}()
	s.cleanup = append(s.cleanup, func() error {
		s.cancel()
		<-bridgeDone
		return b.stopProbes()
	})
	return s, nil
}

// StopCollector stops the collector of a journey map for good, as a
// Deployment scaled to zero or a pod crash-looping: its probe process ends,
// leaves the scrape targets and is not started again.
func (s *Stack) StopCollector(namespace, journeyMap string) error {
	return s.bridge.stopCollector(namespace + "_" + render.CollectorName(journeyMap))
}

// Stop stops everything Start started, newest first, and leaves no process
// behind.
func (s *Stack) Stop() error {
	s.cancel()
	var errs []error
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		errs = append(errs, s.cleanup[i]())
	}
	s.cleanup = nil
	return errors.Join(errs...)
}

func (s *Stack) startShop(address string) error {
	if address == "" {
		address = "127.0.0.1:0"
	}
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return fmt.Errorf("demo shop: %w", err)
	}
	s.Shop = demoshop.New()
	server := &http.Server{Handler: s.Shop, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Serve(listener) }()
	s.ShopURL = "http://" + listener.Addr().String()
	s.cleanup = append(s.cleanup, server.Close)
	return nil
}

func (s *Stack) startOperator(ctx context.Context, opts Options) error {
	logger := opts.Logger
	if logger.GetSink() == nil {
		logger = logr.Discard()
	}
	mgr, err := ctrl.NewManager(s.Env.Config, ctrl.Options{
		Scheme:                 scheme.New(),
		Logger:                 logger,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  controller.CacheOptions(nil),
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return err
	}
	if err := controller.SetupWithManager(ctx, mgr, controller.Options{
		ProbeImage:     "journey-probe:local",
		Prometheus:     health.ClientOptions{URL: s.PrometheusURL},
		HealthInterval: opts.HealthInterval,
	}); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	s.cleanup = append(s.cleanup, func() error {
		s.cancel()
		return <-done
	})
	return nil
}

func goBuild(root, output, pkg string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-o", output, pkg)
	cmd.Dir = root
	return cmd.CombinedOutput()
}

// FreeAddress finds a free loopback port for a process that takes its
// address on the command line.
func FreeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	// Only the address was wanted; the listener is closed to free it for the
	// process that takes it, and nothing was sent on it to lose.
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

// startProcess starts a command with its output in a log file of dir, and
// returns how to stop it: SIGTERM, then SIGKILL after five seconds.
func startProcess(dir, name string, args ...string) (func() error, error) {
	logFile, err := os.Create(filepath.Join(dir, filepath.Base(name)+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close() // the start error is the one to report
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close() // the log is diagnostics; nobody waits on this goroutine to report to
		close(exited)
	}()
	return func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		return nil
	}, nil
}
