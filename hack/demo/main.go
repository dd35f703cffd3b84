// Command demo runs journey-operator's whole loop on this machine — a
// control plane, the operator, Prometheus, journey-probe and a demo shop —
// with the sample journeys, and lets you break and heal a touchpoint:
//
//	go run ./hack/demo                       # start; Ctrl-C stops everything
//	go run ./hack/demo break pricing-page    # in another terminal
//	go run ./hack/demo heal pricing-page
//	go run ./hack/demo leak purchase         # lose sign-ups, every page answers
//	go run ./hack/demo unleak purchase
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/cli"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/localstack"
)

const (
	shopAddress       = "127.0.0.1:18080"
	mapAddress        = "127.0.0.1:18181"
	prometheusAddress = "127.0.0.1:19090"
	namespace         = "default"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	exitAfter := fs.Duration("exit-after", 0, "stop by itself after this long (for scripted runs); 0 runs until Ctrl-C")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "":
		return demo(*exitAfter)
	case "break", "heal":
		if fs.NArg() != 2 {
			return fmt.Errorf("usage: demo %s <touchpoint>  (pricing-page, signup or contacts-api)", fs.Arg(0))
		}
		return fault(fs.Arg(0), fs.Arg(1))
	case "leak", "unleak":
		if fs.NArg() != 2 {
			return fmt.Errorf("usage: demo %s <stage>  (purchase or onboarding)", fs.Arg(0))
		}
		return fault(fs.Arg(0), fs.Arg(1))
	default:
		return fmt.Errorf("unknown command %q: run without arguments to start, or use break/heal <touchpoint> or leak/unleak <stage>", fs.Arg(0))
	}
}

// fault flips the demo shop's fault switch of one touchpoint (break,
// heal) or its leak of one stage's customers (leak, unleak).
func fault(verb, name string) error {
	var method, url string
	switch verb {
	case "break":
		method, url = http.MethodPut, "http://"+shopAddress+"/faults/"+name+"?mode=down"
	case "heal":
		method, url = http.MethodDelete, "http://"+shopAddress+"/faults/"+name
	case "leak":
		method, url = http.MethodPut, "http://"+shopAddress+"/leaks/"+name
	default:
		method, url = http.MethodDelete, "http://"+shopAddress+"/leaks/"+name
	}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is the demo running (make demo)? %w", err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end; closing cannot lose anything
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", strings.TrimSpace(string(body)))
	}
	fmt.Print(string(body))
	fmt.Println("watch it: KUBECONFIG=.demo/kubeconfig bin/kubectl get journeys -o wide")
	fmt.Println("      or: http://" + mapAddress + "/ (the live journey maps)")
	return nil
}

func demo(exitAfter time.Duration) error {
	root, err := controlplane.RepoRoot()
	if err != nil {
		return err
	}
	workDir := filepath.Join(root, ".demo")
	if err := os.RemoveAll(workDir); err != nil {
		return err
	}
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(workDir, "operator.log"))
	if err != nil {
		return err
	}
	// The operator's log is diagnostics: a failed close must not fail the demo.
	defer func() { _ = logFile.Close() }()
	ctrl.SetLogger(zap.New(zap.WriteTo(logFile)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if exitAfter > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, exitAfter)
		defer cancel()
	}

	fmt.Println("starting kube-apiserver, etcd, kube-controller-manager, Prometheus, Alertmanager, the operator and the demo shop ...")
	started := time.Now()
	stack, err := localstack.Start(ctx, localstack.Options{
		WorkDir:           workDir,
		ScrapeInterval:    5 * time.Second,
		HealthInterval:    5 * time.Second,
		ShopAddress:       shopAddress,
		PrometheusAddress: prometheusAddress,
		Logger:            ctrl.Log,
		Alertmanager:      true,
	})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("\nstopping everything ...")
		if err := stack.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "demo: stopping:", err)
		}
		fmt.Println("stopped; nothing is left running.")
	}()

	if err := applyJourneys(ctx, stack.Env.Client, root, stack.ShopURL); err != nil {
		return err
	}
	notifications, err := logNotifications(ctx, stack, workDir)
	if err != nil {
		return err
	}
	maps, err := serveMaps(ctx, stack)
	if err != nil {
		return err
	}
	fmt.Printf("up in %s.\n\n", time.Since(started).Round(time.Second))
	fmt.Printf(`  live maps:   %s
  kubectl:     export KUBECONFIG=%s
               %s get journeys -o wide
  Prometheus:  %s   (HTTP API, e.g. /api/v1/alerts)
  Alertmanager: %s/api/v2/alerts   (what it holds, inhibited ones included)
  notifications: tail -f %s
  demo shop:   %s/pricing
  break one:   make break TOUCHPOINT=pricing-page   (or signup, contacts-api)
  heal it:     make heal TOUCHPOINT=pricing-page
  stop:        Ctrl-C

`, strings.Join(maps, "\n               "), stack.Kubeconfig, filepath.Join(root, "bin", "kubectl"), stack.PrometheusURL, stack.AlertmanagerURL, notifications, stack.ShopURL)

	return watch(ctx, stack, root, maps)
}

// serveMaps serves the live journey maps (kubectl journey map) in this
// process, with an hour of history, and returns their URLs.
func serveMaps(ctx context.Context, stack *localstack.Stack) ([]string, error) {
	server, err := cli.NewMapServer(stack.Env.Config, cli.MapServerOptions{
		Namespace: namespace, Prometheus: health.ClientOptions{URL: stack.PrometheusURL}, History: time.Hour,
	})
	if err != nil {
		return nil, err
	}
	listener, err := net.Listen("tcp", mapAddress)
	if err != nil {
		return nil, fmt.Errorf("journey maps: %w", err)
	}
	web := &http.Server{Handler: server, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Start(ctx) }()
	go func() { _ = web.Serve(listener) }()
	context.AfterFunc(ctx, func() { _ = web.Close() })
	var urls []string
	var maps cxv1alpha1.JourneyMapList
	if err := stack.Env.Client.List(ctx, &maps, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	for _, m := range maps.Items {
		urls = append(urls, "http://"+mapAddress+cli.MapPath(namespace, m.Name))
	}
	return urls, nil
}

// applyJourneys creates the sample personas and maps, and the demo's
// monitors pointed at the local shop.
func applyJourneys(ctx context.Context, c client.Client, root, shopURL string) error {
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		return err
	}
	var manifests []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		// The samples' personas and maps as they are; their monitors and
		// Secrets come from config/demo, pointed at the local shop.
		if bytes.Contains(data, []byte("kind: Persona")) || bytes.Contains(data, []byte("kind: JourneyMap")) {
			manifests = append(manifests, string(data))
		}
	}
	monitors, err := os.ReadFile(filepath.Join(root, "config", "demo", "monitors.yaml"))
	if err != nil {
		return err
	}
	shop := strings.NewReplacer("${SHOP_URL}", shopURL, "${SHOP_ADDRESS}", strings.TrimPrefix(shopURL, "http://"))
	manifests = append(manifests, shop.Replace(string(monitors)))
	for _, m := range manifests {
		for _, doc := range strings.Split(m, "\n---\n") {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
				return err
			}
			if len(obj.Object) == 0 {
				continue
			}
			obj.SetNamespace(namespace)
			if err := c.Create(ctx, obj); err != nil {
				return fmt.Errorf("creating %s %s: %w", obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	return nil
}

// watch prints `kubectl get journeys -o wide` whenever any value it
// shows changes (availability and success ratio included, not only
// health), until the context ends.
func watch(ctx context.Context, stack *localstack.Stack, root string, maps []string) error {
	last := ""
	for {
		out, err := exec.CommandContext(ctx, filepath.Join(root, "bin", "kubectl"), "--kubeconfig", stack.Kubeconfig,
			"get", "journeys", "-n", namespace, "-o", "wide").CombinedOutput()
		if shown := withoutAge(string(out)); err == nil && shown != last {
			last = shown
			fmt.Printf("── %s ──\n%s  live: %s\n\n", time.Now().Format("15:04:05"), out, strings.Join(maps, "  "))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}

// withoutAge drops the last column, AGE, of every line of kubectl's
// tables: it ticks on its own and is no news.
func withoutAge(table string) string {
	var b strings.Builder
	for _, line := range strings.Split(table, "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 {
			fields = fields[:len(fields)-1]
		}
		b.WriteString(strings.Join(fields, " ") + "\n")
	}
	return b.String()
}

// logNotifications routes the journeys' alerts as the operator generates
// them for a plain Alertmanager, every receiver to a webhook of this
// process that appends each notification, one line, to a file; it returns
// the file's path.
func logNotifications(ctx context.Context, stack *localstack.Stack, workDir string) (string, error) {
	path := filepath.Join(workDir, "notifications.log")
	file, err := os.Create(path)
	if err != nil {
		return "", err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	server := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n struct {
			Receiver string `json:"receiver"`
			Status   string `json:"status"`
			Alerts   []struct {
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var alerts []string
		for _, a := range n.Alerts {
			alerts = append(alerts, fmt.Sprintf("%s{touchpoint=%q, team=%q, severity=%q}", a.Labels["alertname"], a.Labels["touchpoint"], a.Labels["team"], a.Labels["severity"]))
		}
		// The log is for people watching the demo; a failed write loses one line.
		_, _ = fmt.Fprintf(file, "%s %s to %s: %s\n", time.Now().Format("15:04:05"), n.Status, n.Receiver, strings.Join(alerts, ", "))
	})}
	go func() { _ = server.Serve(listener) }()
	go func() {
		<-ctx.Done()
		_ = server.Close() // the demo is ending; nothing waits on it
		_ = file.Close()   // see above
	}()
	if _, err := stack.RouteAlerts(ctx, namespace, map[string]string{"default": "http://" + listener.Addr().String() + "/"}); err != nil {
		return "", err
	}
	return path, nil
}
