package cli

import (
	"errors"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeconfig is the client configuration of the plugin's live subcommands.
type kubeconfig struct {
	rest *rest.Config
	// namespace is the one given, else the context's, else "default".
	namespace string
	// contextName is the context in use, for messages.
	contextName string
}

// loadKubeconfig loads the client configuration as kubectl does: path,
// else $KUBECONFIG, else ~/.kube/config, else the pod's service account;
// an empty context or namespace means the kubeconfig's own.
func loadKubeconfig(path, context, namespace string) (kubeconfig, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	overrides.Context.Namespace = namespace
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := loader.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return kubeconfig{}, errors.New("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config")
	}
	if err != nil {
		return kubeconfig{}, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	ns, _, err := loader.Namespace()
	if err != nil {
		return kubeconfig{}, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	contextName := context
	if contextName == "" {
		// In a pod there is no kubeconfig to name a context.
		if raw, err := loader.RawConfig(); err == nil {
			contextName = raw.CurrentContext
		}
	}
	cfg.UserAgent = "kubectl-journey"
	return kubeconfig{rest: cfg, namespace: ns, contextName: contextName}, nil
}
