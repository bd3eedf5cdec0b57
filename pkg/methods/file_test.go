package methods

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	exe := script(t, dir, "start", "#!/bin/sh\n")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		base, method, want, errHas string
	}{
		{"", exe, exe, ""},
		{"/elsewhere", exe, exe, ""},
		{dir, "start", exe, ""},
		{dir, "./sub/../start", exe, ""},
		{"", "start", "", "no RT_basedir"},
		{"rel/dir", "start", "", "not an absolute path"},
		{dir, "missing", "", filepath.Join(dir, "missing") + " does not exist"},
		{dir, "sub", "", "not a regular file"},
		{dir, "plain", "", plain + " is not executable (mode 0644)"},
		{dir, "", "", "empty"},
	} {
		got, err := Resolve(tc.base, tc.method)
		if tc.errHas == "" {
			if err != nil || got != tc.want {
				t.Errorf("Resolve(%q, %q) = %q, %v; want %q", tc.base, tc.method, got, err, tc.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("Resolve(%q, %q) = %q, %v; want error containing %q", tc.base, tc.method, got, err, tc.errHas)
		}
	}
}

func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	exe := script(t, dir, "m", "#!/bin/sh\n")
	if err := os.Chmod(exe, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// Under a root test run, make the file owned by someone else, as it
		// would be for a non-root tester.
		if err := os.Chown(exe, 65534, -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckFile(exe, 1000); err != nil {
		t.Errorf("non-root daemon: %v", err)
	}
	if err := CheckFile(filepath.Join(dir, "missing"), 1000); err == nil {
		t.Error("missing file accepted")
	}
	if err := CheckFile(dir, 1000); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	// Run as another user, the test's own temporary directories, first on
	// the path, are what the root rules refuse first.
	named := exe + " is not owned by root"
	if os.Geteuid() != 0 {
		named = " is not owned by root"
	}
	if err := CheckFile(exe, 0); err == nil || !strings.Contains(err.Error(), named) {
		t.Errorf("root daemon, file not owned by root: %v", err)
	}

	// Root-owned files in the system: their mode decides.
	if err := CheckFile("/bin/sh", 0); err != nil {
		t.Errorf("root daemon, /bin/sh: %v", err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(exe, 0, -1); err != nil {
			t.Fatal(err)
		}
		if err := CheckFile(exe, 0); err != nil {
			t.Errorf("root-owned 0755: %v", err)
		}
	}
	for _, mode := range []os.FileMode{0o775, 0o757, 0o777} {
		if err := os.Chmod(exe, mode); err != nil {
			t.Fatal(err)
		}
		refused := exe
		if os.Geteuid() != 0 {
			refused = named
		}
		if err := CheckFile(exe, 0); err == nil || !strings.Contains(err.Error(), refused) {
			t.Errorf("root daemon, mode %04o: %v", mode, err)
		}
		if os.Geteuid() == 0 && !strings.Contains(CheckFile(exe, 0).Error(), "writable by group or others") {
			t.Errorf("mode %04o: %v", mode, CheckFile(exe, 0))
		}
		if err := CheckFile(exe, 1000); err != nil {
			t.Errorf("non-root daemon, mode %04o: %v", mode, err)
		}
	}
}
