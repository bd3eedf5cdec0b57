package schacmd_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/rgmtest"
	"github.com/openrgm/openrgm/pkg/schacmd"
)

// TestEntryPoint runs a program linked as the scha_* commands are and
// checks that the entry point adds GOMAXPROCS=1, and only that, whatever
// the arguments and environment.
func TestEntryPoint(t *testing.T) {
	flags := schacmd.EntryLDFlags()
	if flags == "" {
		t.Skipf("no entry point on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	probe := filepath.Join(t.TempDir(), "probe")
	build := exec.Command("go", "build", "-ldflags="+flags, "-o", probe, "./testdata/entryprobe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	many := make([]string, 2000)
	for i := range many {
		many[i] = fmt.Sprint("arg", i)
	}
	tests := []struct {
		name      string
		argv, env []string
		procs     int
		wantEnv   []string
	}{
		{"adds it", []string{"probe", "-O", "", "a b"}, []string{"A=1", "B=two words"},
			1, []string{"A=1", "B=two words", "GOMAXPROCS=1"}},
		{"keeps the caller's", []string{"probe"}, []string{"GOMAXPROCS=2", "Z=z"},
			2, []string{"GOMAXPROCS=2", "Z=z"}},
		{"not fooled by prefixes", []string{"probe"}, []string{"GOMAXPROCSX=2", "GOMAXPROC=2", "GOMAX", "G"},
			1, []string{"GOMAXPROCSX=2", "GOMAXPROC=2", "GOMAX", "G", "GOMAXPROCS=1"}},
		{"empty environment, many arguments", append([]string{"probe"}, many...), []string{},
			1, []string{"GOMAXPROCS=1"}},
		{"no arguments at all", []string{}, []string{"A=1"},
			1, []string{"A=1", "GOMAXPROCS=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			p, err := os.StartProcess(probe, tt.argv, &os.ProcAttr{Env: tt.env, Files: []*os.File{nil, w, os.Stderr}})
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			out, _ := readAll(r)
			if st, err := p.Wait(); err != nil || !st.Success() {
				t.Fatalf("probe: %v %v\n%s", st, err, out)
			}
			want := fmt.Sprintf("%d\n%q\n%q\n", tt.procs, tt.argv, tt.wantEnv)
			// Since 5.18, Linux gives an empty argv an empty argv[0].
			kernelArgv0 := fmt.Sprintf("%d\n%q\n%q\n", tt.procs, []string{""}, tt.wantEnv)
			if out != want && (len(tt.argv) > 0 || out != kernelArgv0) {
				t.Errorf("got\n%s\nwant\n%s", out, want)
			}
		})
	}
}

func readAll(f *os.File) (string, error) {
	defer f.Close()
	var b strings.Builder
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String(), nil
		}
	}
}

// TestMakefileEntryPoint checks that `make` links the commands as
// EntryLDFlags says (pkg/rgmtest uses EntryLDFlags itself).
func TestMakefileEntryPoint(t *testing.T) {
	flags := schacmd.EntryLDFlags()
	if flags == "" {
		t.Skipf("no entry point on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	mk, err := os.ReadFile(filepath.Join(rgmtest.RepoRoot(), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mk), "SCHA_LDFLAGS := "+flags+"\n") {
		t.Errorf("Makefile does not set SCHA_LDFLAGS := %s", flags)
	}
}
