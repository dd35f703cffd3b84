// Package cli is kubectl-journey, the kubectl plugin that checks and
// renders journey manifests offline: `kubectl journey lint` judges
// Personas, JourneyMaps and TouchpointMonitors as the apiserver (the
// embedded CRDs' schema and CEL rules) and the operator (its own checks,
// the references between the objects) would, and `kubectl journey render`
// prints the children the operator would create for them, built by the
// operator's own builders. `kubectl journey status` is the one command
// that reads a cluster: a journey, live, as a tree.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	projectscheme "github.com/journeymap/journey-operator/internal/scheme"
)

// Exit codes.
const (
	exitOK    = 0
	exitFound = 1 // lint found errors, or render had invalid input
	exitUsage = 2
)

// defaultProbeImage is the operator's --probe-image default.
const defaultProbeImage = "ghcr.io/journeymap/journey-probe:latest"

const mainUsage = `kubectl journey: check and render journey-operator manifests offline, and
see journeys live.

Usage:
  kubectl journey lint [flags] PATH...     check Personas, JourneyMaps and TouchpointMonitors
  kubectl journey render [flags] PATH...   print the objects the operator would create for them
  kubectl journey status [NAME] [flags]    show a journey live as a tree; without NAME, list them
  kubectl journey map [flags] [NAME]       draw a JourneyMap live from the cluster, or export it (SVG, HTML)
  kubectl journey help [COMMAND]
  kubectl journey --version

PATH is a file, a directory (read recursively: *.yaml, *.yml) or - for
standard input; files may hold several documents. lint and render need no
cluster; status reads the one of your kubeconfig, with your permissions
(--kubeconfig, --context, -n, -A as in kubectl).

Examples:
  kubectl journey lint config/samples
  kustomize build overlays/prod | kubectl journey lint -
  kubectl journey render config/samples | kubectl apply --dry-run=server -f -
  kubectl journey status -A
  kubectl journey status marketing-automation-trial -n shop --watch
`

const lintUsage = `Usage: kubectl journey lint [flags] PATH...

Checks every Persona, JourneyMap and TouchpointMonitor as the cluster would:
  - the CRDs' schema and CEL rules, with the apiserver's own validation code
    and the CRDs this binary embeds (same verdict, same messages);
  - unknown fields and fields given twice (kubectl's strict field validation
    refuses both);
  - the operator's own checks: probe configuration, regular expressions,
    PromQL of metric SLIs;
  - references within the input: monitor -> JourneyMap -> touchpoint,
    JourneyMap -> Persona; two monitors on one touchpoint (the one the
    operator would not put in charge is the error); moments of truth without
    a monitor (a warning);
  - a document that is not YAML, not an object, or an object twice.
Objects of other kinds are ignored and counted. Objects without a namespace
are checked in --namespace, as kubectl apply puts them in its context's.

Exit status: 0 without errors (warnings allowed), 1 with errors, 2 on misuse.

Examples:
  kubectl journey lint config/samples
  kubectl journey lint --output json journeys/ > lint.json
  kustomize build . | kubectl journey lint --output github -

Flags:
`

const renderUsage = `Usage: kubectl journey render [flags] PATH...

Prints, as a ---separated YAML stream, the objects the operator would create
for the journeys in PATH, built by the operator's own code: per JourneyMap
the collector (ConfigMap, Deployment, Service and, with the Prometheus
Operator, ServiceMonitor) and the roll-up rules, and per TouchpointMonitor in
charge of a touchpoint its alert and recording rules.

With --alertmanager it prints instead the alert routing the operator writes
as an AlertmanagerConfig where the Prometheus Operator runs: routes per team
and inhibition rules, to paste into a plain Alertmanager's configuration.

Owner references are left out: the offline owners have no UID yet, and a
child applied with an invented owner UID would be garbage-collected at once.
Input that lint finds errors in is not rendered: the errors go to stderr and
the exit status is 1.

Examples:
  kubectl journey render config/samples
  kubectl journey render --rule-configmaps config/samples   # no Prometheus Operator
  kubectl journey render --rules-only config/samples > rules.yaml && promtool check rules rules.yaml

Flags:
`

// Main runs kubectl-journey with args (without the program name) and
// returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	switch args[0] {
	case "lint":
		return runLint(args[1:], stdin, stdout, stderr)
	case "render":
		return runRender(args[1:], stdin, stdout, stderr)
	case "status":
		return runStatus(context.Background(), args[1:], stdout, stderr)
	case "map":
		return runMap(args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return Main([]string{args[1], "--help"}, stdin, stdout, stderr)
		}
		_, _ = fmt.Fprint(stdout, mainUsage)
		return exitOK
	default:
		_, _ = fmt.Fprintf(stderr, "kubectl journey: unknown command %q\n\n%s", args[0], mainUsage)
		return exitUsage
	}
}

// parseFlags parses flags anywhere among the arguments (the flag package
// stops at the first positional one), and returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseArgs parses a subcommand's flags and returns its positional
// arguments; done is set with the exit status when help was asked (written
// to stdout) or the flags are misused.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) (positional []string, status int, done bool) {
	positional, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return nil, exitOK, true
	}
	if err != nil {
		return nil, exitUsage, true
	}
	return positional, exitOK, false
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("namespace", "default", "namespace of the objects that name none (kubectl's context namespace)")
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseCommand parses a subcommand's flags and requires a PATH; done is
// set with the exit status when the command must stop (help asked, or
// misuse).
func parseCommand(fs *flag.FlagSet, args []string, stdout io.Writer) (paths []string, status int, done bool) {
	paths, status, done = parseArgs(fs, args, stdout)
	if done {
		return nil, status, true
	}
	if len(paths) == 0 {
		_, _ = fmt.Fprintf(fs.Output(), "kubectl journey %s: no PATH given\n\n", fs.Name())
		fs.Usage()
		return nil, exitUsage, true
	}
	return paths, exitOK, false
}

// check loads and checks the inputs: everything lint reports.
func check(paths []string, stdin io.Reader, namespace string) ([]plannedJourney, *inventory, error) {
	validators, err := loadCRDValidators()
	if err != nil {
		return nil, nil, fmt.Errorf("loading the embedded CRDs: %w", err)
	}
	inv := load(paths, stdin, validators, namespace)
	planned := inv.planJourneys()
	return planned, inv, nil
}

func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("lint", lintUsage, stderr)
	output := fs.String("output", "text", "output format: text (file:line: kind/name: field: message), json, or github (workflow command annotations)")
	fs.StringVar(output, "o", "text", "shorthand for --output")
	paths, status, done := parseCommand(fs, args, stdout)
	if done {
		return status
	}
	format, ok := formats[*output]
	if !ok {
		_, _ = fmt.Fprintf(stderr, "kubectl journey lint: unknown --output %q: want text, json or github\n", *output)
		return exitUsage
	}
	_, inv, err := check(paths, stdin, fs.Lookup("namespace").Value.String())
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey lint: %v\n", err)
		return exitFound
	}
	if err := format(stdout, inv); err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey lint: writing the report: %v\n", err)
		return exitFound
	}
	if errs, _ := inv.counts(); errs > 0 {
		return exitFound
	}
	return exitOK
}

func runRender(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("render", renderUsage, stderr)
	var opts renderOptions
	fs.BoolVar(&opts.ruleConfigMaps, "rule-configmaps", false, "render for a cluster without the Prometheus Operator: rules as ConfigMaps holding rule files, no ServiceMonitor")
	rulesOnly := fs.Bool("rules-only", false, "write only the rules, as one plain Prometheus rule file (for promtool check rules)")
	alertmanager := fs.Bool("alertmanager", false, "write only the alert routing, as route and inhibit_rules for a plain Alertmanager's alertmanager.yml")
	fs.StringVar(&opts.probeImage, "probe-image", defaultProbeImage, "the operator's --probe-image: the collectors' journey-probe image")
	paths, status, done := parseCommand(fs, args, stdout)
	if done {
		return status
	}
	planned, inv, err := check(paths, stdin, fs.Lookup("namespace").Value.String())
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey render: %v\n", err)
		return exitFound
	}
	if errs, _ := inv.counts(); errs > 0 {
		_ = writeText(stderr, inv)
		_, _ = fmt.Fprintln(stderr, "kubectl journey render: nothing rendered: fix the errors above")
		return exitFound
	}
	for _, d := range inv.diags {
		_, _ = fmt.Fprintln(stderr, d.text())
	}
	var out []byte
	switch {
	case *alertmanager:
		out, err = alertmanagerBlock(planned)
	case *rulesOnly:
		out, err = ruleFile(planned)
	default:
		var objects []client.Object
		objects, err = renderChildren(planned, opts)
		if err == nil {
			out, err = writeObjects(objects)
		}
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey render: %v\n", err)
		return exitFound
	}
	if _, err := stdout.Write(out); err != nil {
		_, _ = fmt.Fprintf(stderr, "kubectl journey render: %v\n", err)
		return exitFound
	}
	return exitOK
}

// formats write a lint report.
var formats = map[string]func(io.Writer, *inventory) error{
	"text":   writeText,
	"json":   writeJSON,
	"github": writeGitHub,
}

// text is the diagnostic as people read it: file:line: kind/name: field:
// message, "warning: " before the kind/name for warnings.
func (d Diagnostic) text() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		_, _ = fmt.Fprintf(&b, ":%d", d.Line)
	}
	b.WriteString(": ")
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.body())
	return b.String()
}

// body is the diagnostic without its position: kind/name: field: message.
func (d Diagnostic) body() string {
	switch {
	case d.Kind != "" && d.Name != "":
		return d.object() + ": " + d.finding()
	case d.Kind != "":
		return d.Kind + ": " + d.finding()
	}
	return d.finding()
}

// object is the object the diagnostic is about, as kind/name.
func (d Diagnostic) object() string { return d.Kind + "/" + d.Name }

// finding is the field at fault and the message.
func (d Diagnostic) finding() string {
	if d.Field == "" {
		return d.Message
	}
	return d.Field + ": " + d.Message
}

func writeText(w io.Writer, inv *inventory) error {
	for _, d := range inv.diags {
		if _, err := fmt.Fprintln(w, d.text()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, inv.summary())
	return err
}

// jsonReport is the --output json document.
type jsonReport struct {
	Diagnostics []Diagnostic `json:"diagnostics"`
	Errors      int          `json:"errors"`
	Warnings    int          `json:"warnings"`
	Summary     string       `json:"summary"`
}

func writeJSON(w io.Writer, inv *inventory) error {
	errs, warnings := inv.counts()
	report := jsonReport{Diagnostics: inv.diags, Errors: errs, Warnings: warnings, Summary: inv.summary()}
	if report.Diagnostics == nil {
		report.Diagnostics = []Diagnostic{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

// writeGitHub writes GitHub Actions workflow commands, which annotate the
// file and line in the pull request.
func writeGitHub(w io.Writer, inv *inventory) error {
	for _, d := range inv.diags {
		props := "file=" + escapeProperty(d.File)
		if d.Line > 0 {
			props += fmt.Sprintf(",line=%d", d.Line)
		}
		message := d.body()
		if d.Kind != "" && d.Name != "" {
			props += ",title=" + escapeProperty(d.object())
			message = d.finding()
		}
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", d.Severity, props, escapeData(message)); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, inv.summary())
	return err
}

// escapeData and escapeProperty escape as the Actions toolkit does
// (@actions/core command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func newScheme() *runtime.Scheme { return projectscheme.New() }
