// A command lives for milliseconds: no goroutine to track CPU limit changes.
//go:debug updatemaxprocs=0

// Command rgmadm administers OpenRGM: resource types, resource groups and
// resources. See rgmadm(8).
package main

import (
	"os"

	"github.com/openrgm/openrgm/pkg/admcmd"
)

func main() {
	os.Exit(admcmd.Main(os.Args[1:], os.Stdout, os.Stderr))
}
