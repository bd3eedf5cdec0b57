package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestNoGoString keeps C.GoString out of the library: its scan for the
// NUL reads past the end of the caller's block, which valgrind reports in
// every correct program that passes libscha a string (goString's comment;
// capi/ctest's TestPassBack).
func TestNoGoString(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`C\.GoString\(`)
	for _, f := range files {
		if f == "strings_test.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if call.Match(b) {
			t.Errorf("%s calls C.GoString; use goString", f)
		}
	}
}
