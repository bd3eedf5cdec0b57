// Command capi is libscha.so.1, the C API of the Resource Management API
// (scha_calls(3HA)), built with
//
//	go build -buildmode=c-shared -o libscha.so.1 ./capi
//
// scha.h is the public header, written by hand to match Solaris Cluster's.
// scha_shim.c defines every public scha_* function: the variadic
// scha_*_get functions can't be written in Go (cgo exports can't be
// variadic), so the shim reads their arguments with va_arg according to
// the tag and calls the fixed-argument Go exports of exports.go.
//
// This package only converts between C and Go: the queries, error codes
// and vocabulary are pkg/client's and pkg/scha's. What it adds is what C
// needs and Go doesn't: handles (handles.go), C memory owned by a handle
// (convert.go) and the C spellings of enums (enums.go).
package main

// main is never called: a c-shared library needs package main and a main
// function, and the host program has its own.
func main() {}
