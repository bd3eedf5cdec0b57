package fence

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrFenced is wrapped by the error of a lease the guard refused because
// its incarnation was fenced: rgmd must stop acting as a member and get a
// lease of a new incarnation before it starts anything again.
var ErrFenced = errors.New("this node was fenced")

// Timeouts of the client: a command's answer (fence waits for every
// process to go), and a started guard's socket.
const (
	requestTimeout = 5 * time.Second
	fenceTimeout   = 2 * time.Minute
	startTimeout   = 10 * time.Second
)

// GuardClient is rgmd's connection to its guard. Its methods may be
// called from several goroutines; each sends one command and waits for
// the answer. When the connection breaks (the guard was restarted or
// killed) the next command reconnects, starting a guard if none runs,
// and sends the tag and peers again before it.
type GuardClient struct {
	dir, exe string

	mu       sync.Mutex
	conn     *net.UnixConn
	rd       *bufio.Reader
	tag      string
	cgroup   string
	peers    []string
	hasPeers bool
}

// StartGuard connects to the guard of stateDir, starting one if none
// runs: exe (rgmd's own executable) is run as "exe guard --state-dir
// stateDir" in a session of its own, with stdin from /dev/null and its
// output appended to STATE_DIR/guard.log, so that it outlives rgmd.
func StartGuard(stateDir, exe string) (*GuardClient, error) {
	dir, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("guard: %s is not a directory", dir)
	}
	c := &GuardClient{dir: dir, exe: exe}
	if len(c.sock()) > 107 {
		return nil, fmt.Errorf("guard: socket path %s is over the 107 bytes a Unix socket address holds; use a shorter state directory", c.sock())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.connect(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *GuardClient) sock() string { return filepath.Join(c.dir, GuardSocket) }

func dialGuard(path string) (*net.UnixConn, error) {
	return net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
}

// connect dials the guard, starting one if none answers. c.mu is held.
func (c *GuardClient) connect() error {
	conn, err := dialGuard(c.sock())
	if err != nil {
		if err := c.spawn(); err != nil {
			return err
		}
		conn, err = dialGuard(c.sock())
	}
	if err != nil {
		return fmt.Errorf("guard of %s: %w", c.dir, err)
	}
	c.conn, c.rd = conn, bufio.NewReaderSize(conn, 512)
	// A new guard knows nothing: give it what this client told the last.
	if c.tag != "" {
		if _, err := c.roundTrip(Command{Op: OpTag, Tag: c.tag}.String(), requestTimeout); err != nil {
			c.drop()
			return err
		}
	}
	if c.cgroup != "" {
		if _, err := c.roundTrip(Command{Op: OpCgroup, Cgroup: c.cgroup}.String(), requestTimeout); err != nil {
			c.drop()
			return err
		}
	}
	if c.hasPeers {
		if _, err := c.roundTrip(Command{Op: OpPeers, Peers: c.peers}.String(), requestTimeout); err != nil {
			c.drop()
			return err
		}
	}
	return nil
}

// spawn starts a guard and waits until some guard answers on the socket
// (the one started, or another that won a race for the directory).
func (c *GuardClient) spawn() error {
	if c.exe == "" {
		return errors.New("guard: no executable to start it with")
	}
	logf, err := os.OpenFile(filepath.Join(c.dir, GuardLogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("guard: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(c.exe, "guard", "--state-dir", c.dir)
	cmd.Env = guardEnv(os.Environ())
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("guard: starting %s: %w", c.exe, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() // reaped if it exits while this process lives
	end := time.Now().Add(startTimeout)
	for {
		if conn, err := dialGuard(c.sock()); err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-exited:
			// It may have lost a race to another guard, which answers.
			if conn, err := dialGuard(c.sock()); err == nil {
				conn.Close()
				return nil
			}
			return fmt.Errorf("guard: %s guard --state-dir %s exited (%v); see %s", c.exe, c.dir, cmd.ProcessState, filepath.Join(c.dir, GuardLogFile))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(end) {
			return fmt.Errorf("guard: %s guard --state-dir %s does not answer on %s after %v", c.exe, c.dir, c.sock(), startTimeout)
		}
	}
}

// guardEnv is the guard's environment: rgmd's, without the fence tag
// (the guard must never match itself) nor what describes rgmd's own
// systemd sockets.
func guardEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case EnvTag, "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES":
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (c *GuardClient) drop() {
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn, c.rd = nil, nil
}

// roundTrip sends one line and reads the answer. c.mu is held.
func (c *GuardClient) roundTrip(line string, timeout time.Duration) (string, error) {
	c.conn.SetDeadline(time.Now().Add(timeout))
	if _, err := c.conn.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	ans, err := c.rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	ans = strings.TrimSuffix(ans, "\n")
	if msg, ok := strings.CutPrefix(ans, "err "); ok {
		if rest, ok := strings.CutPrefix(msg, "fenced: "); ok {
			return "", &guardError{fmt.Errorf("guard: %w: %s", ErrFenced, rest)}
		}
		return "", &guardError{fmt.Errorf("guard: %s", msg)}
	}
	return ans, nil
}

// guardError is the guard's refusal, as opposed to a broken connection.
type guardError struct{ err error }

func (e *guardError) Error() string { return e.err.Error() }
func (e *guardError) Unwrap() error { return e.err }

// connectAttempts bounds the tries of one command when the connection
// breaks: a guard that is dying may still accept a connection (its
// socket closes with its last thread) and then reset it.
const connectAttempts = 4

// do sends cmd, reconnecting (and starting a guard) if the connection is
// broken.
func (c *GuardClient) do(cmd Command, timeout time.Duration) (string, error) {
	line := cmd.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for attempt := 0; attempt < connectAttempts; attempt++ {
		if attempt > 1 {
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
		}
		if c.conn == nil {
			if err = c.connect(); err != nil {
				continue
			}
		}
		var ans string
		ans, err = c.roundTrip(line, timeout)
		var ge *guardError
		if err == nil || errors.As(err, &ge) {
			if err == nil {
				switch cmd.Op {
				case OpTag:
					c.tag = cmd.Tag
				case OpCgroup:
					c.cgroup = cmd.Cgroup
				case OpPeers:
					c.peers, c.hasPeers = cmd.Peers, true
				}
			}
			return ans, err
		}
		c.drop()
	}
	return "", err
}

// Lease arms the guard (or renews its lease): it fences at deadline, a
// CLOCK_MONOTONIC time in nanoseconds (Now), unless a later Lease or a
// Release comes first. A lease of an incarnation the guard fenced is
// refused with an error wrapping ErrFenced. The tag must be set first.
func (c *GuardClient) Lease(incarnation uint64, deadline int64) error {
	_, err := c.do(Command{Op: OpLease, Incarnation: incarnation, Deadline: deadline}, requestTimeout)
	return err
}

// Tag sets the node's fence tag (the value of RGM_FENCE_TAG in the
// environment of its methods); it cannot change while the guard is armed.
func (c *GuardClient) Tag(tag string) error {
	if err := CheckTag(tag); err != nil {
		return err
	}
	_, err := c.do(Command{Op: OpTag, Tag: tag}, requestTimeout)
	return err
}

// Cgroup names a cgroup v2 directory whose every process, in it or in
// its descendants, the guard kills too when it fences ("" for none): a
// process there cannot escape by clearing its environment. Neither the
// guard nor rgmd may be in it; it cannot change while the guard is armed.
func (c *GuardClient) Cgroup(dir string) error {
	_, err := c.do(Command{Op: OpCgroup, Cgroup: dir}, requestTimeout)
	return err
}

// Peers sets the cluster addresses (host:port) the guard reports a
// fencing to; nil clears them.
func (c *GuardClient) Peers(addrs []string) error {
	_, err := c.do(Command{Op: OpPeers, Peers: addrs}, requestTimeout)
	return err
}

// Release disarms the guard: rgmd ends cleanly, with nothing of its node
// left to guard.
func (c *GuardClient) Release() error {
	_, err := c.do(Command{Op: OpRelease}, requestTimeout)
	return err
}

// Fence makes the guard fence now; it returns once every tagged process
// is gone and the fencing is recorded (the report goes on in the
// background).
func (c *GuardClient) Fence() error {
	_, err := c.do(Command{Op: OpFence}, fenceTimeout)
	return err
}

// Status returns the guard's state.
func (c *GuardClient) Status() (GuardStatus, error) {
	ans, err := c.do(Command{Op: OpStatus}, requestTimeout)
	if err != nil {
		return GuardStatus{}, err
	}
	return ParseStatus(ans)
}

// Close closes the connection; the guard keeps running, armed or not.
func (c *GuardClient) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop()
	return nil
}
