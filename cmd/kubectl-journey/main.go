// Command kubectl-journey is the kubectl plugin `kubectl journey`: offline
// lint and render of journey-operator manifests, and status, a live view
// of a journey read through the user's kubeconfig. See internal/cli.
package main

import (
	"os"

	"github.com/journeymap/journey-operator/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
