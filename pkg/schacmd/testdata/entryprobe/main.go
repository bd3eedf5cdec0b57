// Command entryprobe prints what the scha_* commands' entry point hands the
// runtime (see schacmd.EntryLDFlags): GOMAXPROCS, the arguments and the
// environment, each line quoted. entry_test.go builds and runs it.
package main

import (
	"fmt"
	"os"
	"runtime"

	_ "github.com/openrgm/openrgm/pkg/schacmd" // holds the entry point
)

func main() {
	fmt.Println(runtime.GOMAXPROCS(0))
	fmt.Printf("%q\n", os.Args)
	fmt.Printf("%q\n", os.Environ())
}
