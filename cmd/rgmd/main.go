// Command rgmd is the OpenRGM node daemon.
package main

import (
	"os"

	"github.com/openrgm/openrgm/pkg/daemon"
)

// version is set by the Makefile with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(daemon.Main(os.Args[1:], version, os.Stderr))
}
