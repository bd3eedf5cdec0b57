// Command rgmd is the OpenRGM node daemon.
package main

import (
	"os"

	"github.com/openrgm/openrgm/pkg/daemon"
	"github.com/openrgm/openrgm/pkg/fence"
)

// version is set by the Makefile with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// "rgmd guard --state-dir DIR": the fencing guard, a hidden mode of
	// this binary that rgmd starts (fence.StartGuard), so that no other
	// binary is packaged.
	if len(os.Args) > 1 && os.Args[1] == "guard" {
		os.Exit(fence.GuardMain(os.Args[2:], os.Stderr))
	}
	os.Exit(daemon.Main(os.Args[1:], version, os.Stderr))
}
