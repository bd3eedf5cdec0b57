// Package ctest runs libscha's C tests: it builds libscha.so.1 from capi/,
// compiles the C programs of capi/test/ and examples/hello_c/ against it
// with gcc, starts a real rgmd (pkg/rgmtest) and runs them, under
// `valgrind --leak-check=full` when valgrind is installed (required when
// RGM_REQUIRE_VALGRIND=1, as `make test-c` sets). A _test.go file cannot
// use cgo, so the C side is driven from here, as libtailscale's tsnetctest
// does.
package ctest
