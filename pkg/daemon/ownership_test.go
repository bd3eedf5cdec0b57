package daemon_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// rgmdRefuses runs rgmd on socket and state and expects it to refuse to
// start, saying want.
func rgmdRefuses(t *testing.T, socket, state, want string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(rgmtest.Binaries(t), "rgmd"), "--socket", socket, "--state-dir", state, "--node-name", "n1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), want) {
		t.Errorf("rgmd on state %s, socket %s: %v\n%s\nwant exit 1 saying %q", state, socket, err, out, want)
	}
}

// rgmd refuses a state directory, or anything under it, that another
// user owns or that group or others may write, naming the path: whoever
// could write there could forge a process monitor record (any uid, any
// command) that rgmd would run at its next start (issue 23, item 4).
func TestStateDirectoryOwnership(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	d.MustRun("pmfadm", "-c", "own", "sleep", "300")
	d.MustRun("pmfadm", "-s", "own", "-w", "10", "KILL")
	d.Stop()
	pmfDir := filepath.Join(d.StateDir, "pmf")
	forged := filepath.Join(pmfDir, "forged.json")

	os.Chmod(pmfDir, 0o777)
	rgmdRefuses(t, d.Socket, d.StateDir, pmfDir+" is writable by group or others (mode 0777)")
	os.Chmod(pmfDir, 0o700)

	rec := `{"spec":{"tag":"forged","argv":["/bin/sh","-c","touch ` + d.StateDir + `/pwned"],"uid":0,"gid":0,"dir":"/"},"state":"RUNNING"}`
	if err := os.WriteFile(forged, []byte(rec), 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(forged, 0o666)
	rgmdRefuses(t, d.Socket, d.StateDir, forged+" is writable by group or others (mode 0666)")
	if os.Geteuid() == 0 {
		os.Chmod(forged, 0o600)
		os.Chown(forged, 65534, 65534)
		rgmdRefuses(t, d.Socket, d.StateDir, forged+" is owned by uid 65534, not by rgmd's uid 0")
		os.Chown(forged, 0, 0)
		os.Chown(d.StateDir, 65534, 65534)
		rgmdRefuses(t, d.Socket, d.StateDir, d.StateDir+" is owned by uid 65534")
		os.Chown(d.StateDir, 0, 0)
	} else {
		t.Log("not root: the owner rules are tried only as root (making files of another owner needs it)")
	}
	os.Remove(forged)
	d.Start()
	if _, err := os.Stat(filepath.Join(d.StateDir, "pwned")); err == nil {
		t.Error("the forged record ran")
	}
}

// rgmd refuses a socket directory that another user owns (they could
// move its socket away and bind their own); and every client refuses a
// daemon that is neither root nor the client's own user, with
// SCHA_ERR_ACCESS (6): here an rgmd run by nobody, which root's rgmadm and
// scha_* commands must not believe (issue 23, item 5).
func TestSocketImpostor(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it runs an rgmd as another user (nobody)")
	}
	base, err := os.MkdirTemp("", "imp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755)
	theirs := filepath.Join(base, "theirs")
	os.Mkdir(theirs, 0o755)
	os.Chown(theirs, 65534, 65534)
	rgmdRefuses(t, filepath.Join(theirs, "rgmd.sock"), filepath.Join(base, "state"), "socket directory "+theirs+" is owned by uid 65534")

	// nobody's rgmd, on a socket root's clients are pointed at.
	bin := filepath.Join(base, "rgmd")
	src, _ := os.Open(filepath.Join(rgmtest.Binaries(t), "rgmd"))
	dst, _ := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	io.Copy(dst, src)
	src.Close()
	dst.Close()
	socket := filepath.Join(theirs, "rgmd.sock")
	imp := exec.Command(bin, "--socket", socket, "--state-dir", filepath.Join(theirs, "state"), "--node-name", "n1")
	imp.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
	imp.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + theirs}
	var log bytes.Buffer
	imp.Stdout, imp.Stderr = &log, &log
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { imp.Process.Kill(); imp.Wait() }()
	poll(t, 30*time.Second, "nobody's rgmd to listen", func() bool {
		_, err := os.Stat(socket)
		return err == nil
	})
	for _, argv := range [][]string{{"rgmadm", "status"}, {"scha_cluster_get", "-O", "CLUSTERNAME"}} {
		cmd := exec.Command(filepath.Join(rgmtest.Binaries(t), argv[0]), argv[1:]...)
		cmd.Env = append(os.Environ(), "RGM_SOCKET="+socket)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 6 || !strings.Contains(string(out), "runs as uid 65534, neither root nor you") {
			t.Errorf("%s against nobody's rgmd: %v\n%s\nwant exit 6 (SCHA_ERR_ACCESS) naming uid 65534", argv, err, out)
		}
	}
}
