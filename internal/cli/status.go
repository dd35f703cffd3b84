package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/term"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

const statusUsage = `Usage: kubectl journey status [NAME] [flags]

Shows a journey live, read from the cluster of your kubeconfig with your
own permissions: the JourneyMap's health, score, success ratio and
coverage; its persona; then each stage in the map's order with its
touchpoints: health, availability against the objective, error budget
left, burn rate, latency, firing alerts (severity, since when), and why
anything is not Ready. Touchpoints without a monitor show as unmonitored,
monitors naming a touchpoint the map lacks are listed at the end.

Without NAME, lists the journeys of the namespace (all namespaces with -A)
with their health, score, coverage, weakest stage and firing alerts.

Health is always written out; colour is added on a terminal only
(--color=auto, and NO_COLOR in the environment turns it off).
--watch redraws when what is shown changes, from watches on Personas,
JourneyMaps and TouchpointMonitors (no polling); stop it with Ctrl-C.

Reading needs get, list and watch on personas, journeymaps and
touchpointmonitors (API group cx.journeymap.dev), which the built-in view
ClusterRole includes once journey-operator is installed.

Examples:
  kubectl journey status
  kubectl journey status -A
  kubectl journey status marketing-automation-trial -n shop
  kubectl journey status marketing-automation-trial --watch
  kubectl journey status marketing-automation-trial -o json | jq '.stages[].health'
  kubectl journey status --context prod --kubeconfig ~/.kube/prod -A

Flags:
`

// statusOptions are the flags of status.
type statusOptions struct {
	kubeconfig, context, namespace string
	allNamespaces, watch           bool
	output, color                  string
	name                           string
}

// statusSession is one run of status against one cluster.
type statusSession struct {
	statusOptions
	client client.WithWatch
	// namespace is where to look; "" with -A.
	namespace string
	// contextName and server say which cluster messages are about.
	contextName, server string
	painter             painter
	// terminal: frames of --watch redraw the screen instead of following
	// each other.
	terminal bool
}

// initialReadTimeout bounds the reads before the first frame, so that an
// apiserver that accepts connections but never answers is reported.
const initialReadTimeout = 30 * time.Second

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, status, done := parseStatusFlags(args, stdout, stderr)
	if done {
		return status
	}
	// client-go and controller-runtime log through klog and logr; what
	// they would say is reported here as an error, once, in words.
	klog.SetLogger(logr.Discard())
	ctrllog.SetLogger(logr.Discard())

	s, err := newStatusSession(opts, stdout)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey status: %v\n", err)
		return exitFound
	}
	first, empty, err := s.firstFrame(ctx)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey status: %s\n", s.explain(err))
		return exitFound
	}
	out := stdout
	if empty && opts.output == "text" && !opts.watch {
		// Like kubectl get: "nothing here" is a remark, not output.
		out = stderr
	}
	if _, err := out.Write(s.framed(first, true)); err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey status: %v\n", err)
		return exitFound
	}
	if !opts.watch {
		return exitOK
	}
	if err := s.follow(ctx, first, stdout, stderr); err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey status: %s\n", s.explain(err))
		return exitFound
	}
	return exitOK
}

// parseStatusFlags reads the flags, kubectl's own names for the ones
// kubectl has.
func parseStatusFlags(args []string, stdout, stderr io.Writer) (opts statusOptions, status int, done bool) {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.kubeconfig, "kubeconfig", "", "path of the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&opts.context, "context", "", "kubeconfig context to use (default: the current context)")
	fs.StringVar(&opts.namespace, "namespace", "", "namespace of the journeys (default: the context's namespace)")
	fs.StringVar(&opts.namespace, "n", "", "shorthand for --namespace")
	fs.BoolVar(&opts.allNamespaces, "all-namespaces", false, "list the journeys of all namespaces (without NAME)")
	fs.BoolVar(&opts.allNamespaces, "A", false, "shorthand for --all-namespaces")
	fs.BoolVar(&opts.watch, "watch", false, "after the first view, redraw whenever what it shows changes")
	fs.BoolVar(&opts.watch, "w", false, "shorthand for --watch")
	fs.StringVar(&opts.output, "output", "text", "output format: text or json")
	fs.StringVar(&opts.output, "o", "text", "shorthand for --output")
	fs.StringVar(&opts.color, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), statusUsage)
		fs.PrintDefaults()
	}
	names, status, done := parseArgs(fs, args, stdout)
	if done {
		return opts, status, true
	}
	var problem string
	switch {
	case len(names) > 1:
		problem = fmt.Sprintf("one NAME at most, got %d: %s", len(names), strings.Join(names, " "))
	case len(names) == 1 && opts.allNamespaces:
		problem = "NAME is looked up in one namespace: give -n NAMESPACE instead of -A"
	case opts.output != "text" && opts.output != "json":
		problem = fmt.Sprintf("unknown --output %q: want text or json", opts.output)
	case opts.color != "auto" && opts.color != "always" && opts.color != "never":
		problem = fmt.Sprintf("unknown --color %q: want auto, always or never", opts.color)
	}
	if problem != "" {
		_, _ = fmt.Fprintf(stderr, "kubectl journey status: %s\n\n", problem)
		fs.Usage()
		return opts, exitUsage, true
	}
	if len(names) == 1 {
		opts.name = names[0]
	}
	return opts, exitOK, false
}

// newStatusSession loads the kubeconfig as kubectl does (client-go's
// loading rules: --kubeconfig, else $KUBECONFIG, else ~/.kube/config).
func newStatusSession(opts statusOptions, stdout io.Writer) (*statusSession, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opts.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.context}
	overrides.Context.Namespace = opts.namespace
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := loader.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, errors.New("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config")
	}
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	namespace, _, err := loader.Namespace()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	raw, err := loader.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: newScheme()})
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", cfg.Host, err)
	}
	s := &statusSession{statusOptions: opts, client: c, namespace: namespace, server: cfg.Host, contextName: raw.CurrentContext}
	if opts.context != "" {
		s.contextName = opts.context
	}
	if opts.allNamespaces {
		s.namespace = ""
	}
	s.terminal = isTerminal(stdout)
	switch opts.color {
	case "always":
		s.painter.color = true
	case "auto":
		s.painter.color = s.terminal && os.Getenv("NO_COLOR") == ""
	}
	return s, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// firstFrame reads what to show from the apiserver; empty says that
// there are no journeys to list.
func (s *statusSession) firstFrame(ctx context.Context) (frame []byte, empty bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, initialReadTimeout)
	defer cancel()
	if s.name == "" {
		var list cxv1alpha1.JourneyMapList
		if err := s.client.List(ctx, &list, client.InNamespace(s.namespace)); err != nil {
			return nil, false, err
		}
		frame, err := s.listFrame(pointers(list.Items))
		return frame, len(list.Items) == 0, err
	}
	objs, err := s.readJourney(ctx)
	if err != nil {
		return nil, false, err
	}
	frame, err = s.treeFrame(objs)
	return frame, false, err
}

// readJourney reads the map named on the command line, its persona and
// the monitors of its namespace.
func (s *statusSession) readJourney(ctx context.Context) (journeyObjects, error) {
	m := &cxv1alpha1.JourneyMap{}
	if err := s.client.Get(ctx, types.NamespacedName{Namespace: s.namespace, Name: s.name}, m); err != nil {
		if apierrors.IsNotFound(err) {
			return journeyObjects{}, s.unknownJourney(ctx, err)
		}
		return journeyObjects{}, err
	}
	objs := journeyObjects{Map: m}
	p := &cxv1alpha1.Persona{}
	err := s.client.Get(ctx, types.NamespacedName{Namespace: s.namespace, Name: m.Spec.PersonaRef.Name}, p)
	switch {
	case err == nil:
		objs.Persona = p
	case !apierrors.IsNotFound(err):
		return journeyObjects{}, err
	}
	var monitors cxv1alpha1.TouchpointMonitorList
	if err := s.client.List(ctx, &monitors, client.InNamespace(s.namespace)); err != nil {
		return journeyObjects{}, err
	}
	objs.Monitors = monitorsOf(m, pointers(monitors.Items))
	return objs, nil
}

// unknownJourney explains a NAME that names no JourneyMap by listing the
// ones that exist.
func (s *statusSession) unknownJourney(ctx context.Context, getErr error) error {
	var list cxv1alpha1.JourneyMapList
	if err := s.client.List(ctx, &list, client.InNamespace(s.namespace)); err != nil {
		if apierrors.IsNotFound(err) {
			// The resource itself is gone: the CRD was removed after
			// discovery was cached.
			return &meta.NoKindMatchError{GroupKind: cxv1alpha1.GroupVersion.WithKind("JourneyMap").GroupKind(), SearchedVersions: []string{cxv1alpha1.GroupVersion.Version}}
		}
		return fmt.Errorf("journeymap %q not found in namespace %q (%w); listing the journeys there failed too: %w", s.name, s.namespace, getErr, err)
	}
	if len(list.Items) == 0 {
		return fmt.Errorf("journeymap %q not found: namespace %q has no JourneyMaps; kubectl journey status -A lists those of all namespaces", s.name, s.namespace)
	}
	names := make([]string, 0, len(list.Items))
	for _, m := range list.Items {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	return fmt.Errorf("journeymap %q not found in namespace %q; its journeys are: %s", s.name, s.namespace, strings.Join(names, ", "))
}

// monitorsOf picks the monitors that name the map.
func monitorsOf(m *cxv1alpha1.JourneyMap, all []*cxv1alpha1.TouchpointMonitor) []*cxv1alpha1.TouchpointMonitor {
	var out []*cxv1alpha1.TouchpointMonitor
	for _, mon := range all {
		if mon.Namespace == m.Namespace && mon.Spec.JourneyMapRef.Name == m.Name {
			out = append(out, mon)
		}
	}
	return out
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// treeFrame is the view of one journey in the chosen format.
func (s *statusSession) treeFrame(objs journeyObjects) ([]byte, error) {
	view := buildJourneyView(objs)
	if s.output == "json" {
		return marshalFrame(view)
	}
	return []byte(treeText(view, s.painter)), nil
}

// listFrame is the list of journeys in the chosen format; without any,
// a sentence (text) or an empty list (JSON).
func (s *statusSession) listFrame(maps []*cxv1alpha1.JourneyMap) ([]byte, error) {
	rows := buildRows(maps)
	switch {
	case s.output == "json":
		return marshalFrame(rows)
	case len(rows) == 0 && s.namespace == "":
		return []byte("No JourneyMaps in any namespace.\n"), nil
	case len(rows) == 0:
		return fmt.Appendf(nil, "No JourneyMaps in namespace %s.\n", s.namespace), nil
	}
	return []byte(tableText(rows, s.allNamespaces, s.painter)), nil
}

func marshalFrame(v any) ([]byte, error) {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// framed prepares a frame for writing, in one Write: on a terminal,
// --watch clears the screen before each frame; elsewhere text frames
// after the first are set apart by an empty line (JSON documents need no
// separator).
func (s *statusSession) framed(frame []byte, first bool) []byte {
	switch {
	case s.watch && s.terminal && s.output == "text":
		return append([]byte("\x1b[H\x1b[2J"), frame...)
	case !first && s.output == "text":
		return append([]byte("\n"), frame...)
	}
	return frame
}

// explain turns an error of the apiserver or of the connection into what
// the user should do about it.
func (s *statusSession) explain(err error) string {
	where := fmt.Sprintf("in namespace %q", s.namespace)
	if s.namespace == "" {
		where = "in all namespaces"
	}
	cluster := fmt.Sprintf("the apiserver at %s (context %q)", s.server, s.contextName)
	switch {
	case meta.IsNoMatchError(err):
		return fmt.Sprintf("the journey-operator CRDs are not installed: %s serves no %s JourneyMaps. "+
			"Install them (helm install journey-operator charts/journey-operator, or kubectl apply -k config/crd) or pick another cluster with --context.",
			cluster, cxv1alpha1.GroupVersion)
	case apierrors.IsForbidden(err):
		binding := fmt.Sprintf("kubectl create rolebinding journey-viewer --clusterrole=view --user=<you> -n %s", s.namespace)
		if s.namespace == "" {
			binding = "kubectl create clusterrolebinding journey-viewer --clusterrole=view --user=<you>"
		}
		return fmt.Sprintf("%v.\nReading journeys needs get, list and watch on personas, journeymaps and touchpointmonitors (API group %s) %s. "+
			"The built-in view ClusterRole has them once journey-operator is installed (its journey-operator-journeys-view aggregates to view); an administrator can grant it:\n  %s",
			apiMessage(err), cxv1alpha1.GroupVersion.Group, where, binding)
	case apierrors.IsUnauthorized(err):
		return fmt.Sprintf("%s did not accept your credentials (%v): log in again, or check --kubeconfig and --context", cluster, apiMessage(err))
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s did not answer within %s: check that the cluster is up and reachable", cluster, initialReadTimeout)
	case unreachable(err):
		return fmt.Sprintf("cannot reach %s: %v. Check that the cluster is running, and --kubeconfig and --context.", cluster, err)
	}
	return err.Error()
}

// apiMessage is the apiserver's own message of a status error.
func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}

// unreachable tells connection failures (refused, no route, unknown
// host, TLS handshake) from answers of the apiserver.
func unreachable(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &netErr) {
		return true
	}
	// Discovery flattens some transport errors into text.
	for _, s := range []string{"connection refused", "no such host", "no route to host", "i/o timeout", "connection reset by peer"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}
