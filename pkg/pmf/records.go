package pmf

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openrgm/openrgm/pkg/peercred"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Trees outlive rgmd: a supervisor keeps its tree when rgmd exits or dies,
// and the next rgmd on the same state directory re-attaches to it. What
// it needs to is one record per tag in Manager.Dir, kept up to date at
// every change of the tag, named by a random id (tags may hold any
// character but white space) and written atomically (temp file, rename).

// record is a tag as a file. The JSON names are stable: a record is read
// by the next rgmd, which may be a newer one (and pkg/rgmtest reads
// supervisor_pid to stop what tests leave running).
type record struct {
	Spec       Spec        `json:"spec"`
	State      string      `json:"state"`
	BootID     string      `json:"boot_id,omitempty"`
	Supervisor int         `json:"supervisor_pid,omitempty"` // 0: no tree runs
	Command    int         `json:"command_pid,omitempty"`
	Socket     string      `json:"socket,omitempty"` // abstract name, without the leading NUL
	Started    time.Time   `json:"started"`
	Failures   []time.Time `json:"failures,omitempty"` // History
	// Launch is set while a supervisor is being started (launchCreate,
	// launchRestart): Supervisor is not known yet, and Listener is the
	// rgmd that listens on Socket until the supervisor does.
	Launch   string `json:"launch,omitempty"`
	Listener int    `json:"listener_pid,omitempty"`
}

// recordAnswer bounds the wait for a supervisor's "started" at re-attach:
// generous, since a supervisor that was starting when rgmd died answers
// once it runs, and taking it for gone would start a second tree.
const recordAnswer = 30 * time.Second

// save writes t's record. A failure is logged, not returned: the tag works
// on, but would be lost by an rgmd restart. Called with m.mu held, or for
// a tag not in the table yet by the one goroutine that has it (Start).
func (m *Manager) save(t *tag) {
	if err := m.record(t); err != nil {
		m.log().Error("pmf: cannot record the nametag; an rgmd restart would lose it", "tag", t.spec.Tag, "err", err)
	}
}

// record writes t's record. Called as save is.
func (m *Manager) record(t *tag) error {
	if m.Dir == "" || t.dropped {
		return nil
	}
	r := record{Spec: t.spec, State: t.state, BootID: m.BootID, Supervisor: t.shimPid, Command: t.cmdPid,
		Socket: t.socket, Started: t.started, Failures: t.hist.fails, Launch: t.launch}
	if t.launch != "" {
		r.Listener = os.Getpid()
	}
	return writeRecord(m.Dir, t.id, r)
}

// forget removes t's record. Called as save is.
func (m *Manager) forget(t *tag) {
	if m.Dir == "" {
		return
	}
	if err := os.Remove(filepath.Join(m.Dir, t.id+".json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		m.log().Error("pmf: cannot remove the record of a dropped nametag", "tag", t.spec.Tag, "err", err)
	}
}

func writeRecord(dir, id string, r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	// 0700: a record holds the command's environment.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, id+".json"))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Reattach puts back in the table the tags whose records a previous rgmd
// left in Dir. It must run before anything can ask for a tag: before
// rgmd's crash recovery runs Monitor_stop and Monitor_start, which call
// pmfadm on them.
//
// A supervisor that answers on its socket is re-attached: its tree runs
// on, and its output and exit are watched as if this rgmd had started it.
// One that does not has exited because its tree ended while no rgmd was
// there to tell; that end is handled like any other (restart, action or
// drop, after the tag's policy). A record of another boot is discarded:
// its processes are gone, and the methods start them again.
func (m *Manager) Reattach() {
	if m.Dir == "" {
		return
	}
	ents, err := os.ReadDir(m.Dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			m.log().Error("pmf: cannot read the records of running trees", "dir", m.Dir, "err", err)
		}
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range ents {
		file := filepath.Join(m.Dir, e.Name())
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				os.Remove(file) // a write that rgmd's death interrupted
			}
			continue
		}
		// A record says which uid to run a command as: only one rgmd's
		// own user wrote, and nobody else could change, is believed.
		if fi, err := e.Info(); err != nil || !ownRecord(fi) {
			m.log().Error("pmf: ignoring a record not owned by rgmd's user, or writable by others", "file", file)
			continue
		}
		var r record
		b, err := os.ReadFile(file)
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil || r.Spec.Tag == "" {
			m.log().Error("pmf: discarding an unreadable record", "file", file, "err", err)
			os.Remove(file)
			continue
		}
		m.reattach(id, r)
	}
}

// ownRecord reports whether a record file is a regular file of rgmd's
// user that neither group nor others may write.
func ownRecord(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode().IsRegular() && int(st.Uid) == os.Geteuid() && fi.Mode().Perm()&0o022 == 0
}

// reattach restores one record. Called with m.mu held.
func (m *Manager) reattach(id string, r record) {
	s := r.Spec
	file := filepath.Join(m.Dir, id+".json")
	if m.BootID != "" && r.BootID != m.BootID {
		m.log().Info("pmf: forgetting a nametag of an earlier boot", "tag", s.Tag)
		os.Remove(file)
		return
	}
	if _, dup := m.tags[s.Tag]; dup {
		m.log().Error("pmf: discarding a second record of a nametag", "tag", s.Tag, "file", file)
		os.Remove(file)
		return
	}
	t := &tag{spec: s, id: id, state: r.State, hist: History{fails: r.Failures}, started: r.Started,
		stopping: r.State == wire.PMFStopping, gone: make(chan struct{})}
	if r.Supervisor > 0 || r.Launch != "" {
		c, br, pid, sup, err := dialSupervisor(r, supervisorUID(s))
		if err == nil {
			t.shimPid, t.cmdPid, t.socket, t.conn = sup, pid, r.Socket, c
			m.tags[s.Tag] = t
			if !t.stopping {
				t.state = wire.PMFRunning
			}
			if r.Launch != "" && r.Started.IsZero() {
				t.started = m.Now()
			}
			if pid != r.Command || sup != r.Supervisor {
				m.save(t)
			}
			if m.Adopt != nil && s.Label != "" {
				m.Adopt(t.shimPid, s.Label)
			}
			m.log().Info("pmf: re-attached", "tag", s.Tag, "pid", pid, "supervisor", t.shimPid)
			go m.watch(t, c, br, nil)
			return
		}
		if r.Launch == "" {
			m.log().Warn("pmf: process tree ended while rgmd was away", "tag", s.Tag, "err", err)
		}
	}
	switch r.Launch {
	case launchCreate:
		// rgmd died creating the tag, and no supervisor holds the socket:
		// the command never ran (or ended already). Nobody was told the
		// tag exists; it does not.
		m.log().Info("pmf: forgetting a nametag whose creation rgmd's end interrupted", "tag", s.Tag)
		os.Remove(file)
		return
	case launchRestart:
		m.tags[s.Tag] = t
		if t.stopping {
			m.drop(t, "stopped")
			return
		}
		t.state = wire.PMFRestarting
		t.timer = time.AfterFunc(0, func() { m.restart(t) }) // the failure is counted already
		return
	}
	m.tags[s.Tag] = t
	switch {
	case t.stopping:
		m.drop(t, "stopped")
	case r.State == wire.PMFRestarting && r.Supervisor == 0:
		t.timer = time.AfterFunc(0, func() { m.restart(t) }) // the failure is counted already
	case r.State == wire.PMFAction && r.Supervisor == 0:
		m.runAction(t) // the previous rgmd's exit stopped it
	default:
		m.treeEnded(t, m.Now().Sub(r.Started))
	}
}

// dialSupervisor connects to the supervisor of record r, checks that it
// is that supervisor (anyone may bind a name that has become free), and
// reads its "started CMD [SUPERVISOR]". It returns the command's and the
// supervisor's pids. Who may hold the socket: the recorded supervisor;
// while it was being started (r.Launch), a supervisor of the tag's user
// that says its pid is the listener's, or the rgmd that listened
// (r.Listener, rgmd's own user), whose connection waits in the backlog
// for the supervisor it forked to accept it.
func dialSupervisor(r record, uid int) (net.Conn, *bufio.Reader, int, int, error) {
	d := net.Dialer{Timeout: recordAnswer}
	c, err := d.Dial("unix", "@"+r.Socket)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	cred, err := peercred.Of(c)
	if err != nil {
		c.Close()
		return nil, nil, 0, 0, err
	}
	c.SetReadDeadline(time.Now().Add(recordAnswer))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	cmd, sup, ok := parseStarted(line)
	if err != nil || !ok {
		c.Close()
		return nil, nil, 0, 0, fmt.Errorf("supervisor %d: no start report (%q, %v)", r.Supervisor, line, err)
	}
	if sup == 0 {
		sup = r.Supervisor // an older supervisor
	}
	switch {
	case r.Launch == "" && sup == r.Supervisor && cred.PID == sup:
	case r.Launch != "" && sup > 0 && cred.PID == sup && cred.UID == uid:
	case r.Launch != "" && sup > 0 && r.Listener > 0 && cred.PID == r.Listener && cred.UID == os.Geteuid():
	default:
		c.Close()
		return nil, nil, 0, 0, fmt.Errorf("socket %s is held by pid %d (uid %d), not by the supervisor of the record", r.Socket, cred.PID, cred.UID)
	}
	c.SetReadDeadline(time.Time{})
	return c, br, cmd, sup, nil
}

// supervisorUID is the user a tag's supervisor runs as (credential).
func supervisorUID(s Spec) int {
	if credential(s.UID, s.GID) != nil {
		return s.UID
	}
	return os.Geteuid()
}

// socketName is a fresh abstract socket name for a supervisor: it says
// which state directory (hence which rgmd) it belongs to, for ss -xl.
func socketName(dir string) string {
	h := sha256.Sum256([]byte(dir))
	return "openrgm-pmf-" + hex.EncodeToString(h[:4]) + "-" + randomHex(8)
}

// bindAbstract returns a unix stream socket bound to the abstract name:
// no file, so no sun_path length limit and nothing to clean up; the name
// is freed when the last descriptor of the socket is closed.
func bindAbstract(name string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "@"+name), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}
