// A command lives for milliseconds: no goroutine to track CPU limit changes.
//go:debug updatemaxprocs=0

// Command scha_control is the scha_cmds(1HA) command of the same name; see
// scha_control(1). It exits with the numeric scha_err_t of its result.
package main

import (
	"os"

	"github.com/openrgm/openrgm/pkg/schacmd"
)

func main() {
	os.Exit(schacmd.Main("scha_control", os.Args[1:], os.Stdout, os.Stderr))
}
