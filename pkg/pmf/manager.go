package pmf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Spec is what a tag runs and how it is restarted. The JSON names are
// those of the tag's record (records.go), read by later rgmds.
type Spec struct {
	Tag    string   `json:"tag"`
	Argv   []string `json:"argv"`
	Env    []string `json:"env"`
	Dir    string   `json:"dir"`
	Action string   `json:"action,omitempty"` // shell command line; "" for none
	UID    int      `json:"uid"`              // the requester's; processes run as UID/GID
	GID    int      `json:"gid"`
	Policy Policy   `json:"policy"`
	Level  int      `json:"level"`           // -C: monitored fork depth; < 0 for all
	Label  string   `json:"label,omitempty"` // resource of the callback that created the tag, for Tracker.Adopt
	// Monitor says the tag was created by the Monitor_start method of
	// resource Label: it is that resource's fault monitor, and its end
	// without a stop request is a monitor failure (Manager.Gone).
	Monitor bool `json:"monitor,omitempty"`
}

// Manager is rgmd's table of tags. Create it with NewManager; it is safe
// for concurrent use.
type Manager struct {
	// Exe is the executable run as each tree's supervisor with argv[0]
	// ShimArg0: rgmd's own (/proc/self/exe), whose start-up dispatches to
	// ShimMain.
	Exe string
	// Dir, optional, is where a record of each tag is kept
	// (<state-dir>/pmf), so that the next rgmd re-attaches to the trees
	// (Reattach). "" keeps no records.
	Dir string
	// BootID is the kernel's boot ID, written in each record: a record of
	// another boot describes processes that no longer exist.
	BootID string
	// Logger receives tag events and the commands' output.
	Logger *slog.Logger
	// Adopt and Release, optional, are told each supervisor's and action's
	// pid with the tag's label while they run (methods.Tracker).
	Adopt   func(pid int, label string)
	Release func(pid int)
	// RestartDelay is waited before restarting a tree that lived less
	// than a second, so that a command that fails at once, with unlimited
	// retries, does not fork as fast as it can.
	RestartDelay time.Duration
	// Now is the clock of the restart policy.
	Now func() time.Time
	// Gone, optional, is told when a tag leaves the table; failed is set
	// when nobody asked for it (retries exhausted, the action failed).
	// It is called with the manager's lock held and must not block.
	Gone func(s Spec, why string, failed bool)
	// MayStart, optional, is asked before a tree is started or restarted;
	// its error refuses (a cluster node without a lease starts nothing).
	// Called with the manager's lock held (and without, for a new tag):
	// it must not block.
	MayStart func() error

	mu       sync.Mutex
	tags     map[string]*tag
	creating map[string]chan struct{} // tags Start is creating; closed when it is done
	closed   bool
}

// NewManager returns an empty table whose supervisors are exe.
func NewManager(exe string, log *slog.Logger) *Manager {
	return &Manager{Exe: exe, Logger: log, RestartDelay: 200 * time.Millisecond, Now: time.Now, tags: make(map[string]*tag)}
}

type tag struct {
	spec     Spec
	hist     History
	state    string
	stopping bool // -s or -k: never restarted again
	dropped  bool

	id      string    // name of the tag's record in Manager.Dir
	launch  string    // launchCreate or launchRestart while a supervisor is being started
	shimPid int       // 0 while no tree runs
	cmdPid  int       // the command's pid, leader of its process group
	socket  string    // the supervisor's abstract socket name
	conn    net.Conn  // connection to the supervisor; nil while no tree runs
	started time.Time // when the tree was started
	action  *os.Process
	timer   *time.Timer   // pending restart
	gone    chan struct{} // closed when the tag leaves the table
}

// Start creates a tag and starts its command. The command's failure to
// execute is reported here (SCHA_ERR_METHOD) and creates no tag.
func (m *Manager) Start(s Spec) (*wire.PMFInfo, error) {
	if s.Tag == "" || strings.ContainsAny(s.Tag, " \t\n") {
		return nil, scha.Errorf(scha.ErrInval, "invalid nametag %q", s.Tag)
	}
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return nil, scha.Errorf(scha.ErrInval, "no command")
	}
	// The supervisor is started without the lock: that takes a fork and
	// exec of rgmd, then of the command, and the other tags' requests
	// (Monitor_start of a hundred resources at once) go on meanwhile.
	// Nobody else sees t before it is in the table; the name is reserved
	// meanwhile, and a second Start of it waits to see how the first ends.
	var created chan struct{}
	for created == nil {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, scha.Errorf(scha.ErrReconf, "rgmd is shutting down")
		}
		if _, ok := m.tags[s.Tag]; ok {
			m.mu.Unlock()
			return nil, scha.Errorf(scha.ErrState, "nametag %s already exists", s.Tag)
		}
		if first, ok := m.creating[s.Tag]; ok {
			m.mu.Unlock()
			<-first
			continue
		}
		if m.creating == nil {
			m.creating = make(map[string]chan struct{})
		}
		created = make(chan struct{})
		m.creating[s.Tag] = created
		m.mu.Unlock()
	}
	t := &tag{spec: s, id: randomHex(8), state: wire.PMFRunning, gone: make(chan struct{})}
	watch, err := m.launch(t, launchCreate)
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.creating, s.Tag)
	close(created)
	if err != nil {
		return nil, err
	}
	m.tags[s.Tag] = t
	if m.closed {
		// Shutdown ran meanwhile: hang up, as it did on the other
		// supervisors; the tree runs on for the next rgmd.
		c := t.conn
		t.conn = nil
		c.Close()
	}
	go watch()
	m.log().Info("pmf: started", "tag", s.Tag, "pid", t.cmdPid, "uid", s.UID, "command", strings.Join(s.Argv, " "))
	return m.info(t), nil
}

// launch starts t's supervisor and waits for its word that the command
// runs. how is launchCreate for a new tag, launchRestart otherwise. It
// returns what watches the tree, for the caller to run once t is in the
// table. Called with m.mu held for a tag in the table; for a new tag, not
// in the table yet, by Start without the lock.
//
// rgmd binds and listens on the supervisor's abstract socket itself and
// records the tag (with the socket's name and launch set) before it
// forks: from then on, whatever instant rgmd dies at, a connection to
// that name reaches the supervisor if one was started (it holds the
// socket, and the connection waits in the backlog until it accepts), and
// is refused or hung up on if none was. The next rgmd's Reattach
// therefore finds every tree that runs, and starts no second one. The
// supervisor listens again at its start, so that SO_PEERCRED of a later
// connection names it (the kernel records the listener at listen time).
// The first connection is a socketpair: nothing to dial, and nothing to
// race.
func (m *Manager) launch(t *tag, how string) (watch func(), err error) {
	s := t.spec
	if m.MayStart != nil {
		if err := m.MayStart(); err != nil {
			return nil, err
		}
	}
	name := socketName(m.Dir)
	lf, err := bindAbstract(name)
	if err == nil {
		if err = unix.Listen(int(lf.Fd()), shimBacklog); err != nil {
			lf.Close()
		}
	}
	if err != nil {
		return nil, scha.Errorf(scha.ErrInternal, "process monitor socket: %v", err)
	}
	defer lf.Close()
	t.launch, t.socket, t.shimPid, t.cmdPid = how, name, 0, 0
	undo := func() {
		t.launch, t.socket = "", ""
		if how == launchCreate {
			m.forget(t)
		} else {
			m.save(t)
		}
	}
	if err := m.record(t); err != nil {
		undo()
		return nil, scha.Errorf(scha.ErrInternal, "cannot record nametag %s before starting it: %v", s.Tag, err)
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		undo()
		return nil, scha.Errorf(scha.ErrInternal, "socketpair: %v", err)
	}
	theirs := os.NewFile(uintptr(pair[1]), "pmf-supervisor")
	defer theirs.Close()
	mine := os.NewFile(uintptr(pair[0]), "pmf-rgmd")
	conn, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		undo()
		return nil, scha.Errorf(scha.ErrInternal, "socketpair: %v", err)
	}
	cmd := &exec.Cmd{
		Path:        m.Exe,
		Args:        append([]string{ShimArg0, strconv.Itoa(s.Level), strconv.Itoa(os.Geteuid())}, s.Argv...),
		Env:         s.Env,
		Dir:         s.Dir,
		ExtraFiles:  []*os.File{lf, theirs}, // fds 3 and 4
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Credential: credential(s.UID, s.GID)},
	}
	if err := cmd.Start(); err != nil {
		conn.Close()
		undo()
		return nil, scha.Errorf(scha.ErrMethod, "cannot start %s as uid %d in %s: %v", s.Argv[0], s.UID, s.Dir, err)
	}
	lf.Close()
	theirs.Close() // so that the supervisor's death is EOF here
	br := bufio.NewReader(conn)
	line, _ := br.ReadString('\n')
	pid, _, ok := parseStarted(line)
	if !ok {
		conn.Close()
		cmd.Wait()
		undo()
		if rest, isErr := strings.CutPrefix(strings.TrimSpace(line), shimError+" "); isErr {
			return nil, scha.Errorf(scha.ErrMethod, "cannot execute %s", rest)
		}
		return nil, scha.Errorf(scha.ErrInternal, "process monitor supervisor failed: %q", line)
	}
	t.launch = ""
	t.shimPid, t.cmdPid, t.socket, t.conn = cmd.Process.Pid, pid, name, conn
	t.state, t.started = wire.PMFRunning, m.Now()
	m.save(t)
	if m.Adopt != nil && s.Label != "" {
		m.Adopt(t.shimPid, s.Label)
	}
	return func() { m.watch(t, conn, br, cmd) }, nil
}

// What a record's launch says: a supervisor was being started, for a new
// tag (whose creation nobody was told of yet) or for a restart.
const (
	launchCreate  = "create"
	launchRestart = "restart"
)

// shimBacklog is the backlog of a supervisor's socket: the rgmds that may
// connect are few.
const shimBacklog = 4

// parseStarted reads a supervisor's "started CMD [SUPERVISOR]" line (an
// older supervisor does not say its own pid: sup is 0).
func parseStarted(line string) (cmd, sup int, ok bool) {
	f := strings.Fields(line)
	if len(f) < 2 || len(f) > 3 || f[0] != shimStarted {
		return 0, 0, false
	}
	cmd, err := strconv.Atoi(f[1])
	if err != nil || cmd <= 0 {
		return 0, 0, false
	}
	if len(f) == 3 {
		if sup, err = strconv.Atoi(f[2]); err != nil || sup <= 0 {
			return 0, 0, false
		}
	}
	return cmd, sup, true
}

// credential is the identity to start a tag's processes with: nil (rgmd's
// own) unless rgmd is root and the requester is another user.
func credential(uid, gid int) *syscall.Credential {
	if os.Geteuid() != 0 || (uid == 0 && gid == 0) || uid < 0 || gid < 0 {
		return nil
	}
	// Groups empty: the requester's supplementary groups are not known
	// from SO_PEERCRED, and root's must not leak to the user.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}

// watch logs the tree's output and waits for the supervisor to say the
// tree is gone, then applies the restart policy. cmd is the supervisor
// when this rgmd started it (nil when re-attached: it is not our child).
// The end of the connection without "exited" means the supervisor died,
// which counts as the tree's end (status -1).
func (m *Manager) watch(t *tag, c net.Conn, br *bufio.Reader, cmd *exec.Cmd) {
	status := -1
	for {
		line, err := br.ReadString('\n')
		if strings.HasSuffix(line, "\n") {
			word, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
			switch word {
			case shimOut:
				m.log().Info("pmf: output", "tag", t.spec.Tag, "line", rest)
			case shimExited:
				status, _ = strconv.Atoi(rest)
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
	if cmd != nil {
		// Reap our child whenever it exits; a -C supervisor may linger
		// after its report to drain the output of deeper processes.
		go cmd.Wait()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.conn != c {
		return // Shutdown hung up: the tree runs on for the next rgmd
	}
	if m.Release != nil && t.spec.Label != "" {
		m.Release(t.shimPid)
	}
	t.shimPid, t.cmdPid, t.socket, t.conn = 0, 0, "", nil
	if t.stopping {
		m.drop(t, "stopped")
		return
	}
	m.log().Warn("pmf: process tree exited", "tag", t.spec.Tag, "status", status)
	m.treeEnded(t, m.Now().Sub(t.started))
}

// treeEnded applies the policy to a failure. Called with m.mu held.
func (m *Manager) treeEnded(t *tag, lived time.Duration) {
	if t.hist.Failed(t.spec.Policy, m.Now()) == Restart {
		t.state = wire.PMFRestarting
		delay := time.Duration(0)
		if lived < time.Second {
			delay = m.RestartDelay
		}
		t.timer = time.AfterFunc(delay, func() { m.restart(t) })
		m.save(t)
		return
	}
	if t.spec.Action == "" {
		m.drop(t, "retries exhausted")
		return
	}
	m.runAction(t)
}

func (m *Manager) restart(t *tag) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t.timer = nil
	if t.stopping || t.dropped || m.closed {
		return
	}
	start := m.Now()
	watch, err := m.launch(t, launchRestart)
	if err != nil {
		m.log().Error("pmf: restart failed", "tag", t.spec.Tag, "err", err)
		m.treeEnded(t, m.Now().Sub(start))
		return
	}
	go watch()
	m.log().Info("pmf: restarted", "tag", t.spec.Tag, "pid", t.cmdPid, "failures", t.hist.Count(t.spec.Policy, m.Now()))
}

// runAction runs the tag's action program with "failed TAG" appended,
// with only the working directory and PATH (and RGM_SOCKET, so that it
// can call scha_control, and RGM_FENCE_TAG, so that fencing finds it) of
// the command. Called with m.mu held.
func (m *Manager) runAction(t *tag) {
	s := t.spec
	t.state = wire.PMFAction
	var env []string
	for _, kv := range s.Env {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "RGM_SOCKET=") || strings.HasPrefix(kv, "RGM_FENCE_TAG=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command("/bin/sh", "-c", s.Action+` "$@"`, "pmf-action", "failed", s.Tag)
	cmd.Env, cmd.Dir = env, s.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: credential(s.UID, s.GID)}
	out := &logWriter{m: m, tag: s.Tag}
	cmd.Stdout, cmd.Stderr = out, out
	// A background process the action left holding its output must not
	// keep the tag waiting once the action itself has exited.
	cmd.WaitDelay = time.Second
	m.log().Warn("pmf: retries exhausted; running the action", "tag", s.Tag, "action", s.Action)
	if err := cmd.Start(); err != nil {
		m.drop(t, "action cannot run: "+err.Error())
		return
	}
	t.action = cmd.Process
	m.save(t)
	pid := cmd.Process.Pid
	if m.Adopt != nil && s.Label != "" {
		m.Adopt(pid, s.Label)
	}
	go func() {
		err := cmd.Wait()
		ok := cmd.ProcessState != nil && cmd.ProcessState.Success()
		if ok && errors.Is(err, exec.ErrWaitDelay) {
			err = nil
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.Release != nil && s.Label != "" {
			m.Release(pid)
		}
		t.action = nil
		if m.closed {
			return // Shutdown killed it; the next rgmd runs it again
		}
		if t.stopping || t.dropped {
			m.drop(t, "stopped")
			return
		}
		if AfterAction(ok && err == nil) == GiveUp {
			m.drop(t, fmt.Sprintf("action failed (%v)", err))
			return
		}
		t.hist.Reset()
		watch, err := m.launch(t, launchRestart)
		if err != nil {
			m.log().Error("pmf: restart after the action failed", "tag", s.Tag, "err", err)
			m.treeEnded(t, 0)
			return
		}
		go watch()
		m.log().Info("pmf: restarted after the action", "tag", s.Tag, "pid", t.cmdPid)
	}()
}

// drop removes t from the table. Called with m.mu held.
func (m *Manager) drop(t *tag, why string) {
	if t.dropped {
		return
	}
	t.dropped = true
	if m.tags[t.spec.Tag] == t {
		delete(m.tags, t.spec.Tag)
	}
	m.forget(t) // before gone: a Stop that waited finds the record removed
	close(t.gone)
	m.log().Info("pmf: nametag dropped", "tag", t.spec.Tag, "reason", why)
	if m.Gone != nil {
		m.Gone(t.spec, why, !t.stopping)
	}
}

// StopArgs is pmfadm -s and -k.
type StopArgs struct {
	Tag    string
	UID    int            // the requester: the tag's owner or root
	Kill   bool           // -k: the signal defaults to DefaultKillSignal
	Signal syscall.Signal // 0: none
	Wait   time.Duration  // > 0: wait that long for the tree to be gone
}

// DefaultKillSignal is what pmfadm -k sends when no signal is given.
const DefaultKillSignal = syscall.SIGTERM

// Stop stops restarting a tag and signals its tree (and its action, if it
// runs); the tag leaves the table once nothing of it runs. With a Wait it
// returns SCHA_ERR_TIMEOUT if that has not happened in time.
func (m *Manager) Stop(ctx context.Context, a StopArgs) error {
	m.mu.Lock()
	t, err := m.owned(a.Tag, a.UID)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	sig := a.Signal
	if sig == 0 && a.Kill {
		sig = DefaultKillSignal
	}
	t.stopping, t.state = true, wire.PMFStopping
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	if sig != 0 {
		m.signal(t, sig)
	}
	if t.conn == nil && t.action == nil {
		m.drop(t, "stopped") // between a failure and its restart
	} else {
		m.save(t)
	}
	gone := t.gone
	m.mu.Unlock()
	if a.Wait <= 0 {
		return nil
	}
	timer := time.NewTimer(a.Wait)
	defer timer.Stop()
	select {
	case <-gone:
		return nil
	case <-timer.C:
		return scha.Errorf(scha.ErrTimeout, "nametag %s: processes still running after %v", a.Tag, a.Wait)
	case <-ctx.Done():
		return scha.Errorf(scha.ErrReconf, "rgmd is shutting down")
	}
}

// signal sends sig to t's tree and action. Called with m.mu held.
func (m *Manager) signal(t *tag, sig syscall.Signal) {
	if t.conn != nil {
		fmt.Fprintf(t.conn, "%s %d\n", shimSignal, int(sig))
	}
	if t.action != nil {
		_ = syscall.Kill(-t.action.Pid, sig)
	}
}

// owned finds a tag that uid may change. Called with m.mu held.
func (m *Manager) owned(name string, uid int) (*tag, error) {
	if m.closed {
		return nil, scha.Errorf(scha.ErrReconf, "rgmd is shutting down")
	}
	t, ok := m.tags[name]
	if !ok {
		return nil, scha.Errorf(scha.ErrTag, "no such nametag: %s", name)
	}
	if uid != 0 && uid != t.spec.UID {
		return nil, scha.Errorf(scha.ErrAccess, "nametag %s belongs to uid %d; uid %d may not change it", name, t.spec.UID, uid)
	}
	return t, nil
}

// Modify changes a tag's limits (pmfadm -m). Failures already counted
// stay counted against the new limits.
func (m *Manager) Modify(name string, uid int, retries *int, period *time.Duration) (*wire.PMFInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.owned(name, uid)
	if err != nil {
		return nil, err
	}
	if retries != nil {
		t.spec.Policy.Retries = *retries
	}
	if period != nil {
		t.spec.Policy.Period = *period
	}
	m.save(t)
	return m.info(t), nil
}

// Show describes one tag (pmfadm -l, -q).
func (m *Manager) Show(name string) (*wire.PMFInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tags[name]
	if !ok {
		return nil, scha.Errorf(scha.ErrTag, "no such nametag: %s", name)
	}
	return m.info(t), nil
}

// List returns the tags, sorted (pmfadm -L).
func (m *Manager) List() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.tags))
	for n := range m.tags {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (m *Manager) info(t *tag) *wire.PMFInfo {
	s := t.spec
	period := int64(-1)
	if s.Policy.Period > 0 {
		period = s.Policy.Period.Milliseconds()
	}
	in := &wire.PMFInfo{
		Tag: s.Tag, UID: s.UID, GID: s.GID, State: t.state, Argv: s.Argv, Dir: s.Dir,
		Action: s.Action, Retries: s.Policy.Retries, PeriodMS: period, Level: s.Level,
		Failures: t.hist.Count(s.Policy, m.Now()), Label: s.Label, Pids: []int{},
	}
	if t.shimPid != 0 {
		// The command first, then the rest of the tree in breadth-first
		// order (the supervisor itself is not part of it).
		for _, pid := range TreePids(t.shimPid) {
			if pid == t.cmdPid {
				in.Pids = append([]int{pid}, in.Pids...)
			} else {
				in.Pids = append(in.Pids, pid)
			}
		}
	}
	if t.action != nil {
		in.Pids = append(in.Pids, t.action.Pid)
	}
	return in
}

// Shutdown detaches from every tree for rgmd's exit: it hangs up on the
// supervisors, which keep their trees running and wait for the next rgmd
// (Reattach); the records stay. Restarting rgmd, or upgrading it, must
// not take the services down, as systemd's KillMode=process also
// ensures; taking them offline is the operator's decision. A pending
// restart is left to the next rgmd, and a running action is stopped (it
// runs again then).
func (m *Manager) Shutdown() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	for _, t := range m.tags {
		if t.timer != nil {
			t.timer.Stop()
			t.timer = nil
		}
		if c := t.conn; c != nil {
			t.conn = nil // tells watch that the hang-up is ours
			c.Close()
		}
		if t.action != nil {
			_ = syscall.Kill(-t.action.Pid, syscall.SIGTERM)
		}
	}
}

func (m *Manager) log() *slog.Logger {
	if m.Logger == nil {
		return slog.Default()
	}
	return m.Logger
}

// logWriter logs an action's output.
type logWriter struct {
	m   *Manager
	tag string
}

func (w *logWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.m.log().Info("pmf: action output", "tag", w.tag, "line", l)
	}
	return len(p), nil
}
