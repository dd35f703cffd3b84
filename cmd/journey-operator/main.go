// Command journey-operator is the manager: it reconciles Personas,
// JourneyMaps and TouchpointMonitors into collectors, Prometheus rules and
// live status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/journeymap/journey-operator/internal/controller"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/scheme"
	"github.com/journeymap/journey-operator/internal/version"
)

// config is the manager's command line.
type config struct {
	metricsAddr      string
	secureMetrics    bool
	probeAddr        string
	leaderElect      bool
	leaderElectionNS string
	probeImage       string
	watchNamespaces  string
	prometheus       health.ClientOptions
	healthInterval   time.Duration
	dashboards       bool
	dashboardLabel   controller.DashboardOptions
	concurrency      int
	apiQPS           float64
	apiBurst         int
	showVersion      bool
}

func parseFlags(args []string) (config, zap.Options, error) {
	var c config
	fs := flag.NewFlagSet("journey-operator", flag.ContinueOnError)
	fs.StringVar(&c.metricsAddr, "metrics-bind-address", ":8443", "Address of the metrics endpoint; \"0\" turns it off.")
	fs.BoolVar(&c.secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS, for clients the apiserver authenticates and authorizes (TokenReview and SubjectAccessReview).")
	fs.StringVar(&c.probeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz endpoints.")
	fs.BoolVar(&c.leaderElect, "leader-elect", false, "Elect a leader among replicas so only one reconciles at a time.")
	fs.StringVar(&c.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader election Lease; the manager's own namespace when empty.")
	fs.StringVar(&c.probeImage, "probe-image", "ghcr.io/journeymap/journey-probe:latest", "Container image of journey-probe, run by every journey's collector.")
	fs.StringVar(&c.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; all namespaces when empty.")
	fs.StringVar(&c.prometheus.URL, "prometheus-url", "", "URL of the Prometheus HTTP API (or a Thanos/Mimir query front end) to read touchpoint health from; health stays Unknown when empty.")
	fs.StringVar(&c.prometheus.BearerTokenFile, "prometheus-bearer-token-file", "", "File holding a bearer token for the Prometheus API, read at every request.")
	fs.StringVar(&c.prometheus.CAFile, "prometheus-ca-file", "", "PEM file of CAs to trust for an https:// Prometheus URL.")
	fs.DurationVar(&c.prometheus.Timeout, "prometheus-timeout", 5*time.Second, "Time allowed for one health cycle, all its queries together; a slower cycle counts as Prometheus failing.")
	fs.DurationVar(&c.healthInterval, "health-interval", 30*time.Second, "How often the health of every touchpoint is read from Prometheus, with one fixed set of queries for all of them (with 10% jitter; backing off up to 5x while Prometheus fails).")
	fs.BoolVar(&c.dashboards, "dashboards", true, "Write a Grafana dashboard per journey map, in a ConfigMap labelled for the Grafana sidecar; false deletes the ones written before.")
	fs.StringVar(&c.dashboardLabel.Label, "dashboard-label", controller.DefaultDashboardLabel, "Label that makes the Grafana sidecar load a dashboard ConfigMap (its LABEL setting).")
	fs.StringVar(&c.dashboardLabel.Value, "dashboard-label-value", controller.DefaultDashboardLabelValue, "Value of --dashboard-label (the sidecar's LABEL_VALUE).")
	fs.IntVar(&c.concurrency, "max-concurrent-reconciles", 4, "Objects of one kind reconciled at the same time.")
	fs.Float64Var(&c.apiQPS, "kube-api-qps", 50, "Steady rate of requests to the apiserver.")
	fs.IntVar(&c.apiBurst, "kube-api-burst", 100, "Burst of requests to the apiserver above --kube-api-qps.")
	fs.BoolVar(&c.showVersion, "version", false, "Print the version and exit.")
	opts := zap.Options{}
	opts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return c, opts, err
	}
	return c, opts, nil
}

func main() {
	c, zapOpts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	if c.showVersion {
		fmt.Println(version.String())
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	if err := run(ctrl.SetupSignalHandler(), c); err != nil {
		ctrl.Log.Error(err, "journey-operator stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	metrics := metricsserver.Options{BindAddress: c.metricsAddr, SecureServing: c.secureMetrics}
	if c.secureMetrics {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	restConfig, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("no kubeconfig or in-cluster config: %w", err)
	}
	restConfig.QPS, restConfig.Burst = float32(c.apiQPS), c.apiBurst
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 metrics,
		HealthProbeBindAddress:  c.probeAddr,
		LeaderElection:          c.leaderElect,
		LeaderElectionID:        "journey-operator.cx.journeymap.dev",
		LeaderElectionNamespace: c.leaderElectionNS,
		// A rolling update hands leadership over at once instead of after
		// the lease expires.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controller.CacheOptions(strings.Split(c.watchNamespaces, ",")),
		Controller:                    ctrlconfig.Controller{MaxConcurrentReconciles: c.concurrency},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	dashboards := c.dashboardLabel
	dashboards.Disabled = !c.dashboards
	opts := controller.Options{ProbeImage: c.probeImage, Prometheus: c.prometheus, HealthInterval: c.healthInterval,
		WatchNamespaces: strings.Split(c.watchNamespaces, ","), Dashboards: dashboards}
	if err := controller.SetupWithManager(ctx, mgr, opts); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	return mgr.Start(ctx)
}
