package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The audit record: every change asked of this rgmd, through the socket
// or the remote API, is written once, by the node that received it, with
// who asked (uid and pid, or the certificate's user, role and address),
// what (the op and the object it names) and the result (the scha code).
// It goes to StateDir/audit.log, one JSON line per request (kept to
// auditMax bytes, then moved to audit.log.1, so two files at most), and to
// the log (the journal under systemd) with the message "audit".
//
// The scha_resource_setstatus and process monitor ops of callbacks are
// not recorded: monitors call them every few seconds, and they are the
// resource's own bookkeeping, not a person's change. Nor are cred list
// and audit, which read (but only for admins).

const (
	auditFile = "audit.log"
	auditMax  = 16 << 20
)

type auditLog struct {
	mu   sync.Mutex
	path string
	f    *os.File
	size int64
	log  *slog.Logger
}

func openAudit(stateDir string, log *slog.Logger) *auditLog {
	a := &auditLog{path: filepath.Join(stateDir, auditFile), log: log}
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		log.Warn("no audit file; audit records go to the log only", "err", err)
		return a
	}
	if st, err := f.Stat(); err == nil {
		a.size = st.Size()
	}
	a.f = f
	return a
}

func (a *auditLog) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f != nil {
		a.f.Close()
		a.f = nil
	}
}

// remoteKey is the context key of a remote API request's caller.
type remoteKey struct{}

// remoteCaller is who made a remote API request.
type remoteCaller struct {
	User, Role, Addr string
}

func withRemote(ctx context.Context, r remoteCaller) context.Context {
	return context.WithValue(ctx, remoteKey{}, r)
}

// remoteOf returns the remote caller of a request, ok false for a local
// one.
func remoteOf(ctx context.Context) (remoteCaller, bool) {
	r, ok := ctx.Value(remoteKey{}).(remoteCaller)
	return r, ok
}

// who names the caller of a request for the audit record and for
// credentials' IssuedBy.
func who(ctx context.Context, p Peer) string {
	if r, ok := remoteOf(ctx); ok {
		return r.User
	}
	return "uid " + strconv.Itoa(p.UID)
}

// audit is the socket server's Audit hook, for local and remote requests
// alike.
func (d *Daemon) audit(ctx context.Context, p Peer, req *wire.Request, err error, took time.Duration) {
	if req.Op == wire.OpControl && d.metrics != nil {
		var a wire.ControlArgs
		json.Unmarshal(req.Args, &a)
		d.metrics.control.WithLabelValues(strings.ToUpper(a.Tag), scha.CodeOf(err).Symbol()).Inc()
	}
	if req.Op == wire.OpSetStatus || isPMFOp(req.Op) || req.Op == wire.OpCredList || req.Op == wire.OpAuditList || d.auditLog == nil {
		return
	}
	rec := wire.AuditRecord{
		Time:   time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Node:   d.opts.NodeName,
		Who:    who(ctx, p),
		Addr:   fmt.Sprintf("local pid %d", p.PID),
		Op:     req.Op,
		Target: auditTarget(req.Args),
		Code:   int(scha.CodeOf(err)),
		Millis: float64(took.Microseconds()) / 1000,
	}
	if r, ok := remoteOf(ctx); ok {
		rec.Role, rec.Addr = r.Role, r.Addr
	}
	if err != nil {
		rec.Error = scha.DetailOf(err)
	}
	d.auditLog.write(rec)
}

// auditTarget is the object a request's arguments name, if any.
func auditTarget(args json.RawMessage) string {
	var n struct {
		Name     string `json:"name"`
		Resource string `json:"resource"`
		Tag      string `json:"tag"`
	}
	if json.Unmarshal(args, &n) != nil {
		return ""
	}
	switch {
	case n.Name != "":
		return n.Name
	case n.Resource != "":
		return n.Resource
	}
	return n.Tag
}

func (a *auditLog) write(rec wire.AuditRecord) {
	a.log.Info("audit", "who", rec.Who, "role", rec.Role, "addr", rec.Addr, "op", rec.Op, "target", rec.Target, "code", rec.Code, "error", rec.Error)
	line, err := json.Marshal(rec)
	if err != nil {
		return
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return
	}
	if a.size+int64(len(line)) > auditMax {
		a.f.Close()
		os.Rename(a.path, a.path+".1")
		f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			a.f = nil
			a.log.Warn("audit file lost; audit records go to the log only", "err", err)
			return
		}
		a.f, a.size = f, 0
	}
	if n, err := a.f.Write(line); err == nil {
		a.size += int64(n)
	}
}

// query returns the records at or after since (Unix seconds), the last
// limit of them (all when limit <= 0), oldest first.
func (a *auditLog) query(since int64, limit int) ([]wire.AuditRecord, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []wire.AuditRecord{}
	for _, p := range []string{a.path + ".1", a.path} {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, scha.Errorf(scha.ErrInternal, "reading the audit record: %v", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var r wire.AuditRecord
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			if since > 0 {
				t, err := time.Parse(time.RFC3339, r.Time)
				if err != nil || t.Unix() < since {
					continue
				}
			}
			out = append(out, r)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// opAudit asks another node for its audit records (wire.AuditArgs).
const opAudit = "audit"

func init() {
	morePeerOps[opAudit] = func(d *Daemon, _ context.Context, body json.RawMessage) (any, error) {
		var a wire.AuditArgs
		if err := json.Unmarshal(body, &a); err != nil {
			return nil, scha.Errorf(scha.ErrInval, "bad audit request: %v", err)
		}
		return d.localAudit(a)
	}
}

func (d *Daemon) localAudit(a wire.AuditArgs) ([]wire.AuditRecord, error) {
	if d.auditLog == nil {
		return []wire.AuditRecord{}, nil
	}
	return d.auditLog.query(a.Since, a.Limit)
}

// auditList serves wire.OpAuditList: this node's records, and on a
// cluster every other node's that is up (asked at once, 10 s at most; a
// node that does not answer is left out and logged).
func (d *Daemon) auditList(ctx context.Context, _ Peer, raw json.RawMessage) (any, error) {
	var a wire.AuditArgs
	if len(raw) > 0 {
		if err := wire.DecodeData(raw, &a); err != nil {
			return nil, scha.Errorf(scha.ErrInval, "bad arguments: %v", err)
		}
	}
	recs, err := d.localAudit(a)
	if err != nil || a.Local || !d.clustered() {
		return recs, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, addr := range d.peerAddrs() {
		if name == d.opts.NodeName || addr == "" || !d.nodeUp(name) {
			continue
		}
		wg.Go(func() {
			var theirs []wire.AuditRecord
			if err := d.cs.cl.Call(ctx, addr, opAudit, a, &theirs); err != nil {
				d.opts.Logger.Warn("audit: a node's records are left out", "node", name, "err", err)
				return
			}
			mu.Lock()
			recs = append(recs, theirs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	// RFC 3339 times of one layout, UTC: sorted as strings.
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time < recs[j].Time })
	if a.Limit > 0 && len(recs) > a.Limit {
		recs = recs[len(recs)-a.Limit:]
	}
	return recs, nil
}
