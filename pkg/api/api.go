// Package api is rgmd's remote door: an HTTPS API (TLS 1.3, client
// certificates from the cluster CA, roles) that offers what the Unix
// socket offers, under /v1, plus a resumable Server-Sent Events stream
// and Prometheus metrics; on the same port, to a client that asks for it
// by ALPN, the socket's own protocol for reads (wire.go). It knows
// nothing of the daemon's insides: the daemon gives it a Backend
// (pkg/daemon/api.go) and a listener.
//
// The routes are described in openapi.json beside this file; a test
// checks the two against each other.
package api

import (
	"bytes"
	"context"
	"crypto/tls"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// OpenAPI is the API's description, served at /v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// Caller is who made a request: the user certificate's name, role and
// serial, and the client's address.
type Caller struct {
	Name   string
	Role   trust.Role
	Serial string
	Addr   string
}

// Backend is what the API needs of the daemon.
type Backend interface {
	// Call runs op with args for who, as the socket's handlers do, and
	// returns the reply's data; its error carries a scha code. The role
	// is checked before Call.
	Call(ctx context.Context, who Caller, op string, args json.RawMessage) (json.RawMessage, error)
	// Follow streams events as the daemon's Events.Follow does.
	Follow(ctx context.Context, a wire.EventsArgs, cut bool, send func(wire.Event) error) error
	// Refused is told of a request the API refused before Call (the
	// caller's role is too low), for the audit record.
	Refused(ctx context.Context, who Caller, op string, args json.RawMessage, err error)
	// Revoked reports whether the credential with serial (hex) was
	// revoked; it is asked at every request, so a revocation reaches
	// connections already open.
	Revoked(serial string) bool
}

// Defaults of a Server.
const (
	DefaultMaxBody       = 1 << 20
	DefaultHeaderTimeout = 10 * time.Second
	DefaultReadTimeout   = 30 * time.Second
	DefaultIdleTimeout   = 2 * time.Minute
	DefaultWriteTimeout  = 30 * time.Second
	DefaultMaxConns      = 10000
	maxHeaderBytes       = 64 << 10
)

// Server serves the API. Set its fields before Serve.
type Server struct {
	Backend Backend      // required
	Logger  *slog.Logger // nil: slog.Default()
	// Metrics, optional, serves GET /v1/metrics (viewer role).
	Metrics http.Handler

	MaxBody       int64         // request body bound; 0: DefaultMaxBody
	HeaderTimeout time.Duration // reading the TLS handshake and headers; 0: DefaultHeaderTimeout
	ReadTimeout   time.Duration // reading a whole request; 0: DefaultReadTimeout
	IdleTimeout   time.Duration // a kept connection's wait for its next request; 0: DefaultIdleTimeout
	WriteTimeout  time.Duration // one write of the event stream; 0: DefaultWriteTimeout
	MaxConns      int           // connections open at once; beyond, closed at once; 0: DefaultMaxConns

	open    atomic.Int64
	streams streams // the event streams (events.go)
	// testNow, when not 0, is the time (Unix nanoseconds) the checks of
	// each request see, for tests of a credential that expires while
	// its connection is kept.
	testNow atomic.Int64
}

func (s *Server) now() time.Time {
	if n := s.testNow.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Now()
}

// OpenConns returns how many connections are open now.
func (s *Server) OpenConns() int64 { return s.open.Load() }

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// route is one method and path of the API; openapi.json lists the same.
type route struct {
	method, path string
	op           string // the socket op it runs, "" for the special routes
	handle       func(s *Server, w http.ResponseWriter, r *http.Request, who Caller)
}

// routes is the API, sorted by path.
var routes = []route{
	{"GET", "/v1/audit", wire.OpAuditList, (*Server).audit},
	{"GET", "/v1/cluster", wire.OpClusterStatus, nil},
	{"GET", "/v1/credentials", wire.OpCredList, nil},
	{"GET", "/v1/events", wire.OpEvents, (*Server).events},
	{"GET", "/v1/groups", wire.OpRGList, nil},
	{"GET", "/v1/groups/{name}", wire.OpRGShow, nil},
	{"GET", "/v1/metrics", "", (*Server).metrics},
	{"GET", "/v1/nodes", wire.OpNodeList, nil},
	{"GET", "/v1/openapi.json", "", (*Server).openapi},
	{"POST", "/v1/ops/{op}", "", (*Server).op},
	{"GET", "/v1/ping", wire.OpPing, nil},
	{"GET", "/v1/resources", wire.OpRSList, nil},
	{"GET", "/v1/resources/{name}", wire.OpRSShow, nil},
	{"GET", "/v1/status", wire.OpStatus, nil},
	{"GET", "/v1/types", wire.OpRTList, nil},
	{"GET", "/v1/types/{name}", wire.OpRTShow, nil},
}

// Handler returns the API's HTTP handler. Requests must come over TLS
// with a verified user certificate (Serve's configuration).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			who, err := s.caller(r)
			if err != nil {
				writeError(w, err)
				return
			}
			// POST /v1/ops/{op} checks its op's role itself; metrics and
			// the description are for every role (viewer and up).
			if rt.op != "" && !Allowed(who.Role, rt.op) {
				s.refuse(w, r, who, rt.op, nil)
				return
			}
			if rt.handle != nil {
				rt.handle(s, w, r, who)
				return
			}
			s.read(w, r, who, rt.op)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, scha.Errorf(scha.ErrInval, "no such API path %s %s (see /v1/openapi.json)", r.Method, r.URL.Path))
	})
	return mux
}

// refuse answers a request whose role is too low, telling the backend.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, who Caller, op string, args json.RawMessage) {
	err := denied(who, op)
	s.Backend.Refused(r.Context(), who, op, args, err)
	writeError(w, err)
}

func denied(who Caller, op string) error {
	if localOps[op] {
		return scha.Errorf(scha.ErrAccess, "%s is served on the node's socket only, for its callbacks", op)
	}
	return scha.Errorf(scha.ErrAccess, "%s: user %s has role %s; %s needs %s", op, who.Name, who.Role, op, RoleFor(op))
}

// caller identifies the request's user from its verified certificate
// and refuses a revoked one.
func (s *Server) caller(r *http.Request) (Caller, error) {
	who, _, err := s.callerOf(r.TLS, r.RemoteAddr)
	return who, err
}

// callerOf identifies the user of a TLS connection from addr by its
// verified certificate, and refuses a revoked one. It returns the
// certificate's end of validity too.
func (s *Server) callerOf(cs *tls.ConnectionState, addr string) (Caller, time.Time, error) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return Caller{}, time.Time{}, scha.Errorf(scha.ErrAccess, "no client certificate (rgmadm cred issue makes one)")
	}
	leaf := cs.VerifiedChains[0][0]
	name, role, ok := trust.CertUser(leaf)
	if !ok {
		return Caller{}, time.Time{}, scha.Errorf(scha.ErrAccess, "certificate %q is not a user certificate", leaf.Subject.CommonName)
	}
	who := Caller{Name: name, Role: role, Serial: trust.Serial(leaf), Addr: addr}
	if err := s.revoked(who); err != nil {
		return Caller{}, time.Time{}, err
	}
	if err := s.expired(who, leaf.NotAfter); err != nil {
		return Caller{}, time.Time{}, err
	}
	return who, leaf.NotAfter, nil
}

// expired refuses who if their certificate's validity ended at notAfter:
// the handshake checked it, but a connection may be kept past it.
func (s *Server) expired(who Caller, notAfter time.Time) error {
	if !s.now().Before(notAfter) {
		return scha.Errorf(scha.ErrAccess, "the credential of user %s (serial %s) expired at %s", who.Name, who.Serial, notAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// revoked refuses who if their credential was revoked.
func (s *Server) revoked(who Caller) error {
	if s.Backend.Revoked(who.Serial) {
		return scha.Errorf(scha.ErrAccess, "the credential of user %s (serial %s) was revoked", who.Name, who.Serial)
	}
	return nil
}

// read serves a GET that runs a read op: the {name} path value, if any,
// is its NameArgs.
func (s *Server) read(w http.ResponseWriter, r *http.Request, who Caller, op string) {
	var args json.RawMessage
	if name := r.PathValue("name"); name != "" {
		args, _ = json.Marshal(wire.NameArgs{Name: name})
	}
	data, err := s.Backend.Call(r.Context(), who, op, args)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(data, '\n'))
}

// Envelope is the answer of POST /v1/ops/{op} and the body of every
// error: the scha code (0 on success) with its symbol, the detail, and
// the op's reply data.
type Envelope struct {
	Code   scha.ErrCode    `json:"code"`
	Symbol string          `json:"error,omitempty"`
	Msg    string          `json:"msg,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// op serves POST /v1/ops/{op}: the socket op of that name, its body the
// op's arguments. Unknown fields, malformed JSON and a body over MaxBody
// are refused with SCHA_ERR_INVAL before anything runs.
func (s *Server) op(w http.ResponseWriter, r *http.Request, who Caller) {
	op := r.PathValue("op")
	limit := or(s.MaxBody, DefaultMaxBody)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeStatus(w, http.StatusRequestEntityTooLarge, scha.Errorf(scha.ErrInval, "request body exceeds %d bytes", limit))
			return
		}
		writeError(w, scha.Errorf(scha.ErrInval, "reading the request body: %v", err))
		return
	}
	if !Allowed(who.Role, op) {
		s.refuse(w, r, who, op, json.RawMessage(body))
		return
	}
	if op == wire.OpEvents {
		writeError(w, scha.Errorf(scha.ErrInval, "events: use GET /v1/events"))
		return
	}
	args, err := checkArgs(op, body)
	if err != nil {
		writeError(w, err)
		return
	}
	data, err := s.Backend.Call(r.Context(), who, op, args)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Envelope{Data: data})
}

// argTypes are the argument types of the ops, for checking a remote
// request's body strictly: the socket ignores unknown fields (a newer
// client's), the API refuses them, so a typo is not silently dropped.
var argTypes = map[string]any{
	wire.OpGet: wire.GetArgs{}, wire.OpRTRegister: wire.RTRegisterArgs{},
	wire.OpRTUnregister: wire.NameArgs{}, wire.OpRTShow: wire.NameArgs{},
	wire.OpRGCreate: wire.RGArgs{}, wire.OpRGSet: wire.RGArgs{}, wire.OpRGDelete: wire.NameArgs{}, wire.OpRGShow: wire.NameArgs{},
	wire.OpRSCreate: wire.RSArgs{}, wire.OpRSSet: wire.RSArgs{}, wire.OpRSDelete: wire.NameArgs{}, wire.OpRSShow: wire.NameArgs{},
	wire.OpRGManage: wire.LifecycleArgs{}, wire.OpRGUnmanage: wire.LifecycleArgs{}, wire.OpRGOnline: wire.LifecycleArgs{},
	wire.OpRGOffline: wire.LifecycleArgs{}, wire.OpRGSwitch: wire.LifecycleArgs{}, wire.OpRGRestart: wire.LifecycleArgs{},
	wire.OpRGSuspend: wire.LifecycleArgs{}, wire.OpRGResume: wire.LifecycleArgs{}, wire.OpRSEnable: wire.LifecycleArgs{},
	wire.OpRSDisable: wire.LifecycleArgs{}, wire.OpRSMonitor: wire.LifecycleArgs{}, wire.OpRSUnmonitor: wire.LifecycleArgs{},
	wire.OpRSClear: wire.LifecycleArgs{}, wire.OpRGWait: wire.WaitArgs{},
	wire.OpRGRemaster: wire.LifecycleArgs{}, wire.OpRGQuiesce: wire.LifecycleArgs{}, wire.OpNodeEvac: wire.NameArgs{},
	wire.OpNodeSet: wire.NodeSetArgs{}, wire.OpClusterSet: wire.ClusterSetArgs{}, wire.OpNodeFence: wire.NameArgs{}, wire.OpSimulate: wire.SimulateArgs{},
	wire.OpSetStatus: wire.SetStatusArgs{}, wire.OpControl: wire.ControlArgs{},
	wire.OpClusterToken: wire.TokenArgs{}, wire.OpNodeRemove: wire.NameArgs{},
	wire.OpConfigImport: wire.ImportArgs{},
	wire.OpPMFStart:     wire.PMFStartArgs{}, wire.OpPMFStop: wire.PMFStopArgs{}, wire.OpPMFModify: wire.PMFModifyArgs{}, wire.OpPMFShow: wire.PMFTagArgs{},
	wire.OpCredIssue: wire.CredIssueArgs{}, wire.OpCredRevoke: wire.CredRevokeArgs{}, wire.OpAuditList: wire.AuditArgs{},
}

// checkArgs returns body as the op's arguments (nil for an empty body),
// refusing malformed JSON and, for a known op, unknown fields.
func checkArgs(op string, body []byte) (json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	t, known := argTypes[op]
	var v any
	if known {
		v = reflect.New(reflect.TypeOf(t)).Interface()
		if wire.DecodeFast(body, v) { // a get's arguments, without reflection
			return body, nil
		}
	}
	if !json.Valid(body) {
		var x any
		err := json.Unmarshal(body, &x)
		return nil, scha.Errorf(scha.ErrInval, "%s: malformed JSON: %v", op, err)
	}
	if known {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return nil, scha.Errorf(scha.ErrInval, "%s: bad arguments: %v", op, err)
		}
	}
	return body, nil
}

// audit serves GET /v1/audit?since=UNIX&limit=N.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, who Caller) {
	var a wire.AuditArgs
	q := r.URL.Query()
	var err error
	if v := q.Get("since"); v != "" {
		if a.Since, err = strconv.ParseInt(v, 10, 64); err != nil {
			writeError(w, scha.Errorf(scha.ErrInval, "since: want Unix seconds, got %q", v))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		if a.Limit, err = strconv.Atoi(v); err != nil || a.Limit < 0 {
			writeError(w, scha.Errorf(scha.ErrInval, "limit: want a count, got %q", v))
			return
		}
	}
	args, _ := json.Marshal(a)
	data, err := s.Backend.Call(r.Context(), who, wire.OpAuditList, args)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(data, '\n'))
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.Metrics == nil {
		writeStatus(w, http.StatusNotFound, scha.Errorf(scha.ErrInval, "metrics are not served by this rgmd"))
		return
	}
	s.Metrics.ServeHTTP(w, r)
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ Caller) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(OpenAPI)
}

// status maps a scha code to the HTTP status of its answer.
func status(c scha.ErrCode) int {
	switch c {
	case scha.ErrNoErr:
		return http.StatusOK
	case scha.ErrAccess:
		return http.StatusForbidden
	case scha.ErrInval, scha.ErrTag, scha.ErrProp, scha.ErrChecks:
		return http.StatusBadRequest
	case scha.ErrRsrc, scha.ErrRG, scha.ErrRT, scha.ErrNode:
		return http.StatusNotFound
	case scha.ErrReconf, scha.ErrCluster:
		return http.StatusServiceUnavailable
	case scha.ErrTimeout:
		return http.StatusGatewayTimeout
	case scha.ErrInternal, scha.ErrNoMem:
		return http.StatusInternalServerError
	}
	return http.StatusConflict // state, dependencies, methods: the request was fine, the cluster said no
}

func writeError(w http.ResponseWriter, err error) {
	writeStatus(w, status(scha.CodeOf(err)), err)
}

func writeStatus(w http.ResponseWriter, code int, err error) {
	c := scha.CodeOf(err)
	if c == scha.ErrNoErr {
		c = scha.ErrInternal
	}
	writeJSON(w, code, Envelope{Code: c, Symbol: c.Symbol(), Msg: scha.DetailOf(err)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"code":18,"error":"SCHA_ERR_INTERNAL","msg":"reply not encodable"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// Serve serves the API on ln with TLS configuration cfg
// (trust.APIServerConfig) until ctx ends, then closes every connection.
func (s *Server) Serve(ctx context.Context, ln net.Listener, cfg *tls.Config) error {
	// Clients asking for wire.ALPN get the socket's protocol (wire.go);
	// the others, HTTP/1.1.
	cfg = cfg.Clone()
	protos := []string{wire.ALPN}
	for _, p := range cfg.NextProtos {
		if p != wire.ALPN {
			protos = append(protos, p)
		}
	}
	if !slices.Contains(protos, "http/1.1") {
		protos = append(protos, "http/1.1")
	}
	cfg.NextProtos = protos
	hs := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         cfg,
		ReadHeaderTimeout: or(s.HeaderTimeout, DefaultHeaderTimeout),
		ReadTimeout:       or(s.ReadTimeout, DefaultReadTimeout),
		IdleTimeout:       or(s.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger().Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	// HTTP/1.1, not HTTP/2: one request at a time per connection, which
	// the connection bound and the timeouts above are about; or the
	// socket's protocol, one request at a time too.
	hs.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){wire.ALPN: s.wireProto(ctx)}
	ln = &limitListener{Listener: ln, s: s, max: or(s.MaxConns, DefaultMaxConns)}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if hs.Shutdown(sctx) != nil {
			hs.Close()
		}
	}()
	err := hs.ServeTLS(ln, "", "")
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// limitListener closes a connection beyond max at once, so that idle
// connections cannot take every descriptor of the daemon.
type limitListener struct {
	net.Listener
	s   *Server
	max int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if n := l.s.open.Add(1); n > int64(l.max) {
			l.s.open.Add(-1)
			c.Close()
			continue
		}
		return &countedConn{Conn: c, s: l.s}, nil
	}
}

type countedConn struct {
	net.Conn
	s    *Server
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.s.open.Add(-1) })
	return c.Conn.Close()
}

// eventID is an event's SSE id: the epoch of the rgmd run that numbered
// it and its number.
func eventID(e wire.Event) string { return e.Epoch + "." + strconv.FormatUint(e.Seq, 10) }

// parseEventID reads a Last-Event-ID or since value: "EPOCH.N" or "N".
func parseEventID(s string) (epoch string, n uint64, err error) {
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		epoch, s = s[:i], s[i+1:]
	}
	n, err = strconv.ParseUint(s, 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("event number %q: want N or EPOCH.N", s)
	}
	return epoch, n, nil
}
