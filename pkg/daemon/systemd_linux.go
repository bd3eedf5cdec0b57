//go:build linux

package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/coreos/go-systemd/v22/activation"
	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// SystemdFromEnv reads what systemd put in rgmd's environment for the
// notification protocol (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID) and
// removes it, so that nothing rgmd starts can notify systemd in rgmd's
// name. It must be called before rgmd starts any process; the methods
// runner drops these variables as well, but rgmd's environment is the
// default of every exec.Cmd, and one forgotten Env would otherwise let a
// callback send READY=1 or pet the watchdog for rgmd. An error means
// WATCHDOG_USEC was malformed; the rest is still returned.
func SystemdFromEnv() (Systemd, error) {
	s := Systemd{NotifySocket: os.Getenv("NOTIFY_SOCKET")}
	var err error
	s.Watchdog, err = sddaemon.SdWatchdogEnabled(true)
	os.Unsetenv("NOTIFY_SOCKET")
	return s, err
}

// ActivationListener returns the listening socket systemd passed
// (LISTEN_FDS and LISTEN_PID, from rgmd.socket), or nil when there is
// none, and removes LISTEN_* from the environment. It takes the first Unix
// stream socket and closes any others: rgmd serves one socket.
func ActivationListener() (net.Listener, error) {
	files := activation.Files(true)
	var ln net.Listener
	var errs []error
	for _, f := range files {
		l, err := net.FileListener(f)
		f.Close() // FileListener dup'ed it
		if err != nil {
			errs = append(errs, fmt.Errorf("passed fd %s: %w", f.Name(), err))
			continue
		}
		if _, ok := l.(*net.UnixListener); ok && ln == nil {
			ln = l
			continue
		}
		errs = append(errs, fmt.Errorf("passed socket %s is not the first Unix stream socket; closed", l.Addr()))
		l.Close()
	}
	if ln == nil && len(files) > 0 {
		return nil, fmt.Errorf("systemd passed %d sockets and none is a listening Unix stream socket: %w", len(files), errors.Join(errs...))
	}
	return ln, errors.Join(errs...)
}

// datagramNotifier sends sd_notify datagrams to one socket.
type datagramNotifier struct {
	addr string
	mu   sync.Mutex
	conn *net.UnixConn
}

func newNotifier(addr string) sdNotifier { return &datagramNotifier{addr: addr} }

// send sends state in one datagram. Go maps an address beginning with
// "@" to the abstract namespace, as sd_notify(3) does. A failed write is
// retried once on a new socket, in case systemd was re-executed.
func (n *datagramNotifier) send(state string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var err error
	for range 2 {
		if n.conn == nil {
			n.conn, err = net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.addr, Net: "unixgram"})
			if err != nil {
				return err
			}
		}
		if _, err = n.conn.Write([]byte(state)); err == nil {
			return nil
		}
		n.conn.Close()
		n.conn = nil
	}
	return err
}

func (n *datagramNotifier) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn != nil {
		n.conn.Close()
		n.conn = nil
	}
}
