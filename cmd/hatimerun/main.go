// Command hatimerun runs a program with a time limit; see hatimerun(8).
package main

import (
	"os"

	"github.com/openrgm/openrgm/pkg/timerun"
)

func main() {
	os.Exit(timerun.Main(os.Args[1:], os.Stderr))
}
