// Package controlplane starts a real control plane for the tests, the
// benchmark and the demo: kube-apiserver and etcd built from the Kubernetes
// Go modules into bin/ (see the Makefile), run by controller-runtime's
// envtest, with this project's CRDs installed.
package controlplane

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	projectscheme "github.com/journeymap/journey-operator/internal/scheme"
)

// Env is a running control plane.
type Env struct {
	// Config reaches the apiserver as an administrator.
	Config *rest.Config
	// Client is a direct (uncached) client with the project's scheme.
	Client client.Client
	// Scheme knows the built-in kinds and this project's kinds.
	Scheme *runtime.Scheme
	// RepoRoot is the root of this repository.
	RepoRoot string

	env *envtest.Environment
}

// Options tune the control plane.
type Options struct {
	// ExtraCRDPaths are further directories or files of CRDs to install.
	ExtraCRDPaths []string
	// WithoutProjectCRDs leaves config/crd/bases out, for a test that
	// installs an earlier release's CRDs itself.
	WithoutProjectCRDs bool
}

// Start starts kube-apiserver and etcd from bin/ and installs the CRDs of
// config/crd/bases. It fails, never skips, when the binaries are missing:
// `make tools` builds them.
func Start(opts Options) (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	assets := filepath.Join(root, "bin")
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, name)); err != nil {
			return nil, fmt.Errorf("control plane binary %s is missing: run `make tools` to build it: %w", name, err)
		}
	}

	scheme := projectscheme.New()

	crds := opts.ExtraCRDPaths
	if !opts.WithoutProjectCRDs {
		crds = append([]string{filepath.Join(root, "config", "crd", "bases")}, crds...)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     crds,
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	cfg, err := env.Start()
	if err != nil {
		// A failure after the processes started (installing the CRDs, say)
		// would otherwise leave them running after the test binary exits.
		return nil, errors.Join(fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err), env.Stop())
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	return &Env{Config: cfg, Client: c, Scheme: scheme, RepoRoot: root, env: env}, nil
}

// Stop stops the control plane and removes its data.
func (e *Env) Stop() error {
	return e.env.Stop()
}

// Kubeconfig writes a kubeconfig for an administrator of the control plane
// into dir and returns its path, for kubectl and other processes.
func (e *Env) Kubeconfig(dir string) (string, error) {
	return e.UserKubeconfig(filepath.Join(dir, "kubeconfig"), "journey-admin", "system:masters")
}

// UserKubeconfig writes to path a kubeconfig for the user name in groups,
// authenticated by a client certificate: RBAC judges what they may do, so
// a user in no group may do next to nothing until a role is bound.
func (e *Env) UserKubeconfig(path, name string, groups ...string) (string, error) {
	user, err := e.env.ControlPlane.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return "", err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, data, 0o600)
}

// Bin returns the path of a binary built into bin/.
func (e *Env) Bin(name string) string {
	return filepath.Join(e.RepoRoot, "bin", name)
}

// RepoRoot finds the repository root: the nearest parent directory of the
// working directory that holds this project's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isProjectModule(data) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root not found: no go.mod of github.com/journeymap/journey-operator above the working directory")
		}
		dir = parent
	}
}

func isProjectModule(goMod []byte) bool {
	const want = "module github.com/journeymap/journey-operator\n"
	return len(goMod) >= len(want) && string(goMod[:len(want)]) == want
}

// MonitoringCRDs are the Prometheus Operator CRDs the operator writes,
// generated into bin/ from the Go types by `make tools`.
func MonitoringCRDs(root string) []string {
	dir := filepath.Join(root, "bin", "crds", "monitoring")
	return []string{
		filepath.Join(dir, "monitoring.coreos.com_prometheusrules.yaml"),
		filepath.Join(dir, "monitoring.coreos.com_servicemonitors.yaml"),
		filepath.Join(dir, "monitoring.coreos.com_alertmanagerconfigs.yaml"),
	}
}

// StartControllerManager runs kube-controller-manager from bin/ with the
// given controllers, the garbage collector when none are given, so that
// owner references really delete children. Stop it with the returned
// function.
func (e *Env) StartControllerManager(workDir string, controllers ...string) (stop func() error, err error) {
	if len(controllers) == 0 {
		controllers = []string{"garbagecollector"}
	}
	kubeconfig, err := e.Kubeconfig(workDir)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(workDir, "kube-controller-manager.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(e.Bin("kube-controller-manager"),
		"--kubeconfig="+kubeconfig,
		"--controllers="+strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--concurrent-gc-syncs=5",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	return func() error {
		// The log is diagnostics: a failed close must not mask how the stop went.
		defer func() { _ = logFile.Close() }()
		if err := cmd.Process.Kill(); err != nil {
			return err
		}
		_ = cmd.Wait()
		return nil
	}, nil
}
