// Command pmfadm controls the process monitor facility built into rgmd:
// it starts process trees that rgmd restarts when they die, and stops,
// changes, lists and queries them; see pmfadm(8).
package main

import (
	"os"

	"github.com/openrgm/openrgm/pkg/pmf"
)

func main() {
	os.Exit(pmf.Main(os.Args[1:], os.Stdout, os.Stderr))
}
