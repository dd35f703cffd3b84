// Command kubectl-journey is the kubectl plugin `kubectl journey`: offline
// lint and render of journey-operator manifests, and status, a live view
// of a journey read through the user's kubeconfig. See internal/cli.
package main

import (
	"fmt"
	"os"

	"github.com/journeymap/journey-operator/internal/cli"
	"github.com/journeymap/journey-operator/internal/version"
)

func main() {
	// --version is the plugin's, not a subcommand's: answered here so
	// internal/cli stays free of build stamps.
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "version") {
		fmt.Println(version.String())
		return
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
