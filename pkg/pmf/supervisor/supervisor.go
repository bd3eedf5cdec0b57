// Package supervisor runs rgmd's executable as a process monitor
// supervisor (pmf.ShimMain) when it is started as one, before the rest of
// rgmd initializes.
package supervisor

import (
	"os"
	"path/filepath"

	"github.com/openrgm/openrgm/pkg/pmf"
)

func init() {
	if filepath.Base(os.Args[0]) == pmf.ShimArg0 {
		os.Exit(pmf.ShimMain(os.Args[1:]))
	}
}
