package daemon

import (
	"net"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Default connection limits (rgmd --max-connections and
// --max-connections-per-uid). A connection costs rgmd a goroutine and
// its buffers (about 8 KiB) for as long as it is open, idle or not: the
// limits keep a user who opens thousands and sends nothing from taking
// rgmd's memory and its accepting thread's time from everyone else. A
// scha_* command holds one for a moment; a program linked with libscha,
// or rgmadm events --follow, holds one while it runs.
const (
	DefaultMaxConns       = 4096
	DefaultMaxConnsPerUID = 512
)

// connLimit counts open connections, in all and per uid.
type connLimit struct {
	mu    sync.Mutex
	open  int
	byUID map[int]int
	peak  int // highest open since the count was last 0
}

// admit counts a new connection of uid, or says why it is refused;
// limits <= 0 are the defaults.
func (l *connLimit) admit(uid, most, perUID int) error {
	if most <= 0 {
		most = DefaultMaxConns
	}
	if perUID <= 0 {
		perUID = DefaultMaxConnsPerUID
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byUID == nil {
		l.byUID = make(map[int]int)
	}
	switch {
	case l.byUID[uid] >= perUID:
		return scha.Errorf(scha.ErrInternal, "rgmd is busy: uid %d has %d connections open, the most one user may (rgmd --max-connections-per-uid); retry once some are closed", uid, perUID)
	case l.open >= most:
		return scha.Errorf(scha.ErrInternal, "rgmd is busy: %d connections open, the most it serves (rgmd --max-connections); retry later", most)
	}
	l.open++
	l.byUID[uid]++
	l.peak = max(l.peak, l.open)
	return nil
}

// release uncounts a connection of uid. When the last one closes after
// many were open, the memory their buffers took goes back to the system
// at once, rather than as the runtime's scavenger gets to it.
func (l *connLimit) release(uid int) {
	l.mu.Lock()
	l.open--
	if l.byUID[uid]--; l.byUID[uid] <= 0 {
		delete(l.byUID, uid)
	}
	giveBack := l.open == 0 && l.peak >= 256
	if l.open == 0 {
		l.peak = 0
	}
	l.mu.Unlock()
	if giveBack {
		go debug.FreeOSMemory()
	}
}

// busy writes a refusal on a new connection, whatever it would have
// asked (no request is read: waiting for one is what the limit saves),
// and closes it. The reply's id is 0, as for a request that could not be
// read; clients report its code and message.
func busy(fd int, err error) {
	// Non-blocking, a few hundred bytes: it fits in the socket.
	wire.NewWriter(&fdWriter{fd: fd}).WriteReply(errorReply(0, scha.CodeOf(err), scha.DetailOf(err)))
	syscall.Close(fd)
}

// countedConn releases its count once, when closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
