// A command lives for milliseconds: no goroutine to track CPU limit changes.
//go:debug updatemaxprocs=0

// Command scha_resourcetype_get is the scha_cmds(1HA) command of the same name; see
// scha_resourcetype_get(1). It exits with the numeric scha_err_t of its result.
package main

import (
	"os"

	"github.com/openrgm/openrgm/pkg/schacmd"
)

func main() {
	os.Exit(schacmd.Main("scha_resourcetype_get", os.Args[1:], os.Stdout, os.Stderr))
}
