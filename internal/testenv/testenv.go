// Package testenv starts a real control plane for tests: kube-apiserver and
// etcd built from the Kubernetes Go modules into bin/ (see the Makefile), run
// by controller-runtime's envtest, with this project's CRDs installed.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
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

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := cxv1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}

	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     append([]string{filepath.Join(root, "config", "crd", "bases")}, opts.ExtraCRDPaths...),
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", assets, err)
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
	user, err := e.env.ControlPlane.AddUser(envtest.User{Name: "journey-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubeconfig")
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
