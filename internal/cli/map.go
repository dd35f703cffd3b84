package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/mapview"
)

const mapUsage = `Usage: kubectl journey map [flags] [NAME]

Draws the JourneyMap NAME as its persona walks it: stages as columns, lanes
for goals, actions, thoughts, touchpoints, the emotion curve, pain points,
opportunities and KPIs, every touchpoint a card with its live health.

Live (the default): serves the map on http://127.0.0.1:PORT, using your
kubeconfig and its permissions (get, list and watch on Personas,
JourneyMaps and TouchpointMonitors). The page follows the cluster through
watches and says when it last heard from it and when it cannot reach it.
Without NAME it serves an index of the namespace's maps (-A: of all).
With --prometheus-url a slider replays the last --history of health.

Export: --output FILE writes the map as SVG (FILE.svg) or as a
self-contained HTML page (FILE.html) and exits; with -f the map is drawn
from manifests, offline, its health unknown.

Examples:
  kubectl journey map business-phone-system --open
  kubectl journey map business-phone-system --prometheus-url http://localhost:9090
  kubectl journey map business-phone-system --output map.svg
  kubectl journey map -f config/samples --output map.svg business-phone-system

Flags:
`

// Limits of --history: the slider replays at most a week, as far back as
// a person looks for the start of an incident.
const (
	defaultHistory = 24 * time.Hour
	maxHistory     = 7 * 24 * time.Hour
)

// mapFlags are the command's flags.
type mapFlags struct {
	kubeconfig, context string
	files               mapPaths
	output              string
	address             string
	port                int
	open, all           bool
	prometheus          health.ClientOptions
	history             time.Duration
}

// mapPaths is a flag that may be given several times.
type mapPaths []string

func (l *mapPaths) String() string     { return strings.Join(*l, ",") }
func (l *mapPaths) Set(v string) error { *l = append(*l, v); return nil }

func runMap(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("map", mapUsage, stderr)
	var f mapFlags
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "path of the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)")
	fs.StringVar(&f.context, "context", "", "the kubeconfig context to use")
	fs.Var(&f.files, "f", "draw from manifests (file, directory or - for stdin; repeatable) instead of the cluster; needs --output")
	fs.Var(&f.files, "filename", "same as -f")
	fs.StringVar(&f.output, "output", "", "write the map to this file, .svg or .html, and exit")
	fs.StringVar(&f.output, "o", "", "shorthand for --output")
	fs.StringVar(&f.address, "address", "127.0.0.1", "address to serve on; 0.0.0.0 only in a pod, behind authentication")
	fs.IntVar(&f.port, "port", 0, "port to serve on; a free one when 0")
	fs.BoolVar(&f.open, "open", false, "open the map in the browser")
	fs.BoolVar(&f.all, "all-namespaces", false, "serve the maps of every namespace")
	fs.BoolVar(&f.all, "A", false, "shorthand for --all-namespaces")
	fs.StringVar(&f.prometheus.URL, "prometheus-url", "", "Prometheus HTTP API the operator reads; enables the history slider")
	fs.StringVar(&f.prometheus.BearerTokenFile, "prometheus-bearer-token-file", "", "file holding a bearer token for Prometheus")
	fs.StringVar(&f.prometheus.CAFile, "prometheus-ca-file", "", "PEM CAs to trust for an https:// Prometheus")
	fs.DurationVar(&f.history, "history", defaultHistory, "how far back the history slider reaches, at most 168h (7 days)")
	names, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	fail := func(status int, format string, a ...any) int {
		_, _ = fmt.Fprintf(stderr, "kubectl journey map: "+format+"\n", a...)
		return status
	}
	switch {
	case len(names) > 1:
		return fail(exitUsage, "one map at a time: got %s", strings.Join(names, " "))
	case f.history <= 0 || f.history > maxHistory:
		return fail(exitUsage, "--history %s: want more than 0 and at most %s", f.history, maxHistory)
	case len(f.files) > 0 && f.output == "":
		return fail(exitUsage, "-f draws offline: give --output map.svg or --output map.html")
	}
	name := ""
	if len(names) == 1 {
		name = names[0]
	}
	namespace := fs.Lookup("namespace").Value.String()
	namespaceSet := false
	fs.Visit(func(fl *flag.Flag) { namespaceSet = namespaceSet || fl.Name == "namespace" })

	if len(f.files) > 0 {
		in, err := offlineInput(f.files, stdin, namespace, name, stderr)
		if err != nil {
			return fail(exitFound, "%v", err)
		}
		return writeExport(in, f.output, "drawn from manifests", stderr)
	}
	given := ""
	if namespaceSet {
		given = namespace
	}
	kc, err := loadKubeconfig(f.kubeconfig, f.context, given)
	if err != nil {
		return fail(exitFound, "%v", err)
	}
	cfg, namespace := kc.rest, kc.namespace
	if f.output != "" {
		if name == "" {
			return fail(exitUsage, "--output needs the NAME of the map")
		}
		in, err := clusterInput(cfg, namespace, name)
		if err != nil {
			return fail(exitFound, "%v", err)
		}
		return writeExport(in, f.output, "drawn from the cluster at "+time.Now().UTC().Format(time.RFC3339), stderr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := MapServerOptions{Namespace: namespace, Prometheus: f.prometheus, History: f.history}
	if f.all {
		opts.Namespace = ""
	}
	if err := serveMaps(ctx, cfg, opts, net.JoinHostPort(f.address, fmt.Sprint(f.port)), name, namespace, f.open, stdout); err != nil {
		return fail(exitFound, "%v", err)
	}
	return exitOK
}

// clusterInput reads one map, its persona and its namespace's monitors.
func clusterInput(cfg *rest.Config, namespace, name string) (mapview.Input, error) {
	c, err := client.New(cfg, client.Options{Scheme: newScheme()})
	if err != nil {
		return mapview.Input{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var in mapview.Input
	in.Map = &cxv1alpha1.JourneyMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, in.Map); err != nil {
		return in, fmt.Errorf("JourneyMap %s/%s: %w", namespace, name, err)
	}
	persona := &cxv1alpha1.Persona{}
	switch err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: in.Map.Spec.PersonaRef.Name}, persona); {
	case err == nil:
		in.Persona = persona
	case client.IgnoreNotFound(err) != nil:
		return in, fmt.Errorf("reading persona %s/%s: %w", namespace, in.Map.Spec.PersonaRef.Name, err)
	}
	var monitors cxv1alpha1.TouchpointMonitorList
	if err := c.List(ctx, &monitors, client.InNamespace(namespace)); err != nil {
		return in, fmt.Errorf("TouchpointMonitors in %s: %w", namespace, err)
	}
	in.Monitors = monitors.Items
	return in, nil
}

// offlineInput finds the map in manifests, checked by lint's loader: its
// findings are printed, and the map is drawn if it could be read at all.
func offlineInput(paths []string, stdin io.Reader, namespace, name string, stderr io.Writer) (mapview.Input, error) {
	_, inv, err := check(paths, stdin, namespace)
	if err != nil {
		return mapview.Input{}, err
	}
	for _, d := range inv.diags {
		_, _ = fmt.Fprintln(stderr, d.text())
	}
	var names []string
	for _, k := range sortedKeys(inv.maps) {
		names = append(names, k.name)
	}
	found := inv.maps[key{namespace, name}]
	switch {
	case name == "" && len(inv.maps) == 1:
		found = inv.maps[sortedKeys(inv.maps)[0]]
	case name == "" && len(inv.maps) > 1:
		return mapview.Input{}, fmt.Errorf("the manifests hold several JourneyMaps (%s): name one", strings.Join(names, ", "))
	case found == nil:
		return mapview.Input{}, fmt.Errorf("no JourneyMap %q in namespace %q among the manifests (they hold: %s)", name, namespace, strings.Join(names, ", "))
	}
	jm := found.journeyMap()
	if jm == nil {
		return mapview.Input{}, fmt.Errorf("JourneyMap %s (%s) cannot be read as a JourneyMap", found.name, found.where())
	}
	in := mapview.Input{Map: jm, Offline: true}
	if p := inv.personas[key{found.namespace, jm.Spec.PersonaRef.Name}]; p != nil {
		in.Persona = p.persona()
	}
	for _, m := range inv.monitors {
		if tm := m.monitor(); tm != nil && m.namespace == found.namespace {
			in.Monitors = append(in.Monitors, *tm)
		}
	}
	return in, nil
}

// writeExport writes the drawing to a file, as SVG or HTML by its name.
func writeExport(in mapview.Input, path, note string, stderr io.Writer) int {
	var data []byte
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		data, err = mapview.SVGDocument(in)
	case ".html", ".htm":
		data, err = mapview.Page(in, mapview.PageOptions{Note: note})
	default:
		_, _ = fmt.Fprintf(stderr, "kubectl journey map: --output %s: want a .svg or .html file\n", path)
		return exitUsage
	}
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey map: %v\n", err)
		return exitFound
	}
	_, _ = fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", path, len(data))
	return exitOK
}

// serveMaps serves the maps until ctx ends, and prints where.
func serveMaps(ctx context.Context, cfg *rest.Config, opts MapServerOptions, address, name, namespace string, open bool, stdout io.Writer) error {
	s, err := NewMapServer(cfg, opts)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errs := make(chan error, 2)
	go func() { errs <- s.Start(ctx) }()
	go func() { errs <- server.Serve(listener) }()
	url := "http://" + listener.Addr().String() + "/"
	if name != "" {
		url += strings.TrimPrefix(MapPath(namespace, name), "/")
	}
	_, _ = fmt.Fprintf(stdout, "Serving the journey map at %s\nCtrl-C stops it.\n", url)
	if open {
		openBrowser(url, stdout)
	}
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Event streams never end by themselves: close them rather than wait.
	_ = server.Shutdown(shutdown)
	_ = server.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// openBrowser opens url with the desktop's opener; failing that, the URL
// printed above is enough.
func openBrowser(url string, stdout io.Writer) {
	opener := map[string][]string{"darwin": {"open"}, "windows": {"rundll32", "url.dll,FileProtocolHandler"}}[runtime.GOOS]
	if opener == nil {
		opener = []string{"xdg-open"}
	}
	cmd := exec.Command(opener[0], append(opener[1:], url)...)
	if err := cmd.Start(); err != nil {
		_, _ = fmt.Fprintf(stdout, "could not open a browser (%v): open the URL above\n", err)
		return
	}
	go func() { _ = cmd.Wait() }()
}
