package execfile

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, path, body string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// run starts p as the callers do (execvp's ENOEXEC fallback included)
// and returns its output.
func run(t *testing.T, p *Program, args ...string) string {
	t.Helper()
	path, argv := p.Argv(args)
	cmd := &exec.Cmd{Path: path, Args: argv}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.ENOEXEC) {
		sh, path, argv, serr := p.Shell(args)
		if serr != nil {
			t.Fatal(serr)
		}
		defer sh.Close()
		cmd = &exec.Cmd{Path: path, Args: argv}
		out, err = cmd.CombinedOutput()
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", p.Path, err, out)
	}
	return string(out)
}

func copyFile(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	return write(t, to, string(b), 0o755)
}

// What runs is the binary that was opened and checked, even when the path
// names another file by the time of the exec; a script sees its own path
// as $0, and a file without #! runs through /bin/sh, as with execvp.
func TestExecutesTheCheckedFile(t *testing.T) {
	dir := t.TempDir()
	m := copyFile(t, "/bin/true", filepath.Join(dir, "m"))
	p, err := Open(m, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The swap: another file renamed over the path after the check.
	copyFile(t, "/bin/false", filepath.Join(dir, "evil"))
	if err := os.Rename(filepath.Join(dir, "evil"), m); err != nil {
		t.Fatal(err)
	}
	run(t, p) // fails the test if false ran

	s := write(t, filepath.Join(dir, "s"), "#!/bin/sh\necho script \"$0\" \"$1\"\n", 0o755)
	sp, err := Open(s, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if got := run(t, sp, "arg"); got != "script "+s+" arg\n" {
		t.Errorf("script: ran %q", got)
	}

	// A binary, found in PATH as execvp finds it.
	tr, err := Open("true", "/nonexistent:/usr/bin:/bin", false)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if run(t, tr) != "" {
		t.Error("true wrote something")
	}

	// No #! line.
	plain := write(t, filepath.Join(dir, "plain"), "echo plain \"$0\" \"$1\"\n", 0o755)
	pp, err := Open(plain, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer pp.Close()
	if got := run(t, pp, "x"); got != "plain "+plain+" x\n" {
		t.Errorf("no #!: ran %q", got)
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "noexec"), "#!/bin/sh\n", 0o644)
	write(t, filepath.Join(dir, "badinterp"), "#!/nonexistent/sh\n", 0o755)
	write(t, filepath.Join(dir, "empty"), "#!\n", 0o755)
	for name, want := range map[string]string{
		"missing":   "no such file",
		"noexec":    "not executable (mode 0644)",
		"badinterp": "interpreter /nonexistent/sh: no such file",
		"empty":     "empty #! line",
		".":         "not a regular file",
	} {
		_, err := Open(filepath.Join(dir, name), "", false)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
	if _, err := Open("no-such-program", "/nonexistent", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PATH miss: %v", err)
	}
}

// The strict rules (root): every directory from / down, every link where
// it lies, the file and a script's interpreter must be root's and not
// writable by group or others (a sticky directory may be). Needs root to
// make files of another owner.
func TestStrict(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the strict rules apply to root, and making files of other owners needs it")
	}
	base := t.TempDir() // root's, under the sticky /tmp
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	good := write(t, filepath.Join(base, "good"), "#!/bin/sh\necho good\n", 0o755)
	if p, err := Open(good, "", true); err != nil {
		t.Errorf("root's file in root's directory: %v", err)
	} else {
		p.Close()
	}

	user := filepath.Join(base, "user") // a user's directory
	os.Mkdir(user, 0o755)
	os.Chown(user, 65534, 65534)
	inUser := write(t, filepath.Join(user, "m"), "#!/bin/sh\n", 0o755)
	grp := filepath.Join(base, "grp") // root's, group-writable
	os.Mkdir(grp, 0o775)
	os.Chmod(grp, 0o775)
	inGrp := write(t, filepath.Join(grp, "m"), "#!/bin/sh\n", 0o755)
	sticky := filepath.Join(base, "sticky") // like /tmp
	os.Mkdir(sticky, 0o777)
	os.Chmod(sticky, 0o777|os.ModeSticky)
	inSticky := write(t, filepath.Join(sticky, "m"), "#!/bin/sh\n", 0o755)
	theirs := write(t, filepath.Join(sticky, "theirs"), "#!/bin/sh\n", 0o755)
	os.Chown(theirs, 65534, 65534)
	// A link in root's directory to the user's: the user can change the file.
	link := filepath.Join(base, "link")
	os.Symlink(user, link)
	// A link the user owns in a directory of theirs, to root's good file.
	userLink := filepath.Join(user, "togood")
	os.Symlink(good, userLink)
	// A script whose interpreter is the user's.
	interp := write(t, filepath.Join(user, "sh"), "", 0o755)
	withInterp := write(t, filepath.Join(base, "withinterp"), "#!"+interp+"\n", 0o755)
	other := write(t, filepath.Join(base, "other"), "#!/bin/sh\n", 0o755)
	os.Chown(other, 65534, 65534)
	gw := write(t, filepath.Join(base, "gw"), "#!/bin/sh\n", 0o775)

	if p, err := Open(inSticky, "", true); err != nil {
		t.Errorf("root's file in a sticky directory: %v", err)
	} else {
		p.Close()
	}
	for path, want := range map[string]string{
		inUser:                      "directory " + user + " is not owned by root (owner uid 65534)",
		inGrp:                       "directory " + grp + " is writable by group or others (mode 0775)",
		theirs:                      theirs + " is not owned by root (owner uid 65534)",
		filepath.Join(link, "m"):    "directory " + user + " is not owned by root",
		userLink:                    "directory " + user + " is not owned by root",
		withInterp:                  "interpreter directory " + user + " is not owned by root",
		other:                       other + " is not owned by root (owner uid 65534)",
		gw:                          gw + " is writable by group or others (mode 0775)",
		filepath.Join(base, "none"): "no such file",
	} {
		p, err := Open(path, "", true)
		if err == nil {
			p.Close()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v\nwant %q", path, err, want)
		}
		// Not strict (a non-root caller): only a missing file is refused.
		if p, err := Open(path, "", false); err == nil {
			p.Close()
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s, not strict: %v", path, err)
		}
	}
}

// argv[0] is the name as given, as with execvp; a script found in PATH
// gets its found path.
func TestArgv(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "s"), "#!/bin/sh -e\necho \"$0\" \"$@\"\n", 0o755)
	p, err := Open("s", dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got := run(t, p, "a", "b"); got != filepath.Join(dir, "s")+" a b\n" {
		t.Errorf("script in PATH: %q", got)
	}
	if _, argv := p.Argv([]string{"a"}); strings.Join(argv, " ") != "/bin/sh -e "+filepath.Join(dir, "s")+" a" {
		t.Errorf("script argv %q", argv)
	}
	sh, err := Open("sh", "/usr/bin:/bin", false)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	if got := run(t, sh, "-c", "echo $0", "zero"); got != "zero\n" {
		t.Errorf("sh -c: %q", got)
	}
	if _, argv := sh.Argv(nil); argv[0] != "sh" {
		t.Errorf("binary argv[0] %q, want sh", argv[0])
	}
}
