//go:build linux

package daemon_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/rgmtest"
)

// notifySocket is a stand-in for systemd's notification socket: a
// datagram socket the test owns, collecting every message rgmd sends.
type notifySocket struct {
	Path string
	conn *net.UnixConn
	msgs chan string
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &notifySocket{Path: filepath.Join(dir, "notify"), msgs: make(chan string, 1000)}
	s.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.Path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := s.conn.Read(buf)
			if err != nil {
				close(s.msgs)
				return
			}
			s.msgs <- string(buf[:n])
		}
	}()
	return s
}

// next returns the next message that contains want, failing after a
// generous bound. Other messages are returned in skipped.
func (s *notifySocket) next(t *testing.T, want string) (msg string, skipped []string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				t.Fatalf("notify socket closed waiting for %q; saw %q", want, skipped)
			}
			if strings.Contains(m, want) {
				return m, skipped
			}
			skipped = append(skipped, m)
		case <-deadline:
			t.Fatalf("no %q from rgmd within 20s; saw %q", want, skipped)
		}
	}
}

// TestSystemdNotify runs the real rgmd with NOTIFY_SOCKET and WATCHDOG_USEC
// pointing at the test, as systemd would for a Type=notify unit with
// WatchdogSec=.
func TestSystemdNotify(t *testing.T) {
	d := rgmtest.StartDaemon(t)
	setup(t, d) // one group, one resource, in the replicated log
	d.Stop()

	ns := newNotifySocket(t)
	t.Setenv("NOTIFY_SOCKET", ns.Path)
	t.Setenv("WATCHDOG_USEC", "400000")
	d.Start()

	ready, skipped := ns.next(t, "READY=1")
	if len(skipped) > 0 {
		t.Errorf("messages before READY=1: %q", skipped)
	}
	// READY=1 came with the replayed configuration in place and the
	// socket serving: the group from before the restart is answered.
	if got := d.MustRun("scha_resourcegroup_get", "-O", "RESOURCE_LIST", "-G", "web-rg"); got != "web-rs\n" {
		t.Errorf("Resource_list right after READY=1: %q", got)
	}
	if !strings.Contains(ready, "STATUS=groups: 0 online, 0 faulted of 1; resources: 0 online, 0 faulted of 1") {
		t.Errorf("READY message lacks the status line: %q", ready)
	}

	ns.next(t, "WATCHDOG=1")

	d.MustRun("rgmadm", "rg", "create", "db-rg")
	ns.next(t, "STATUS=groups: 0 online, 0 faulted of 2;")

	d.Stop()
	ns.next(t, "STOPPING=1")
	if !strings.Contains(d.Log(), "msg=\"rgmd ready\"") {
		t.Errorf("rgmd log:\n%s", d.Log())
	}
}

// TestSocketActivation passes rgmd a listening socket the way systemd's
// rgmd.socket does: as fd 3 with LISTEN_FDS=1 and LISTEN_PID set to the
// pid of rgmd itself, which the launcher only knows once it runs, hence
// the `sh -c 'LISTEN_PID=$$ exec rgmd'` wrapper.
func TestSocketActivation(t *testing.T) {
	bin := rgmtest.Binaries(t)
	dir, err := os.MkdirTemp("", "rgmact")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "activated.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	// The socket file belongs to "systemd" (this test), not to rgmd, and
	// must outlive rgmd.
	ln.SetUnlinkOnClose(false)
	f, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // rgmd has the only listener that accepts

	flagSock := filepath.Join(dir, "flag.sock")
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`,
		filepath.Join(bin, "rgmd"), "--socket", flagSock, "--state-dir", filepath.Join(dir, "state"), "--node-name", "node1", "--log-level", "debug")
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=rgmd.socket")
	cmd.ExtraFiles = []*os.File{f}
	var logBuf bytes.Buffer
	var mu sync.Mutex
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logBuf.Write(p) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	})
	logs := func() string { mu.Lock(); defer mu.Unlock(); return logBuf.String() }

	c := &client.Client{Socket: sock, Timeout: time.Second}
	defer c.Close()
	var pingErr error
	for i := 0; i < 400; i++ {
		if _, pingErr = c.Ping(context.Background()); pingErr == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if pingErr != nil {
		t.Fatalf("rgmd does not answer on the passed socket: %v\n%s", pingErr, logs())
	}
	if _, err := os.Lstat(flagSock); err == nil {
		t.Errorf("rgmd made its own socket at %s although systemd passed one", flagSock)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		if waitErr != nil {
			t.Errorf("rgmd exit: %v\n%s", waitErr, logs())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("rgmd did not stop on SIGTERM:\n%s", logs())
	}
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("the activated socket file must survive rgmd (systemd owns it): %v", err)
	}
	if !strings.Contains(logs(), "serving the socket systemd passed") {
		t.Errorf("rgmd log does not say it took the passed socket:\n%s", logs())
	}
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }
