// Package remote is pkg/client's TLS transport: the one client of rgmd's
// remote API (pkg/api), for rgmadm --server. Reads go over pkg/client's
// own Client speaking the socket's protocol on the API port (wire.go),
// the rest over HTTPS. It offers the same
// Call and Stream as client.Client, so every rgmadm verb works the same
// over the network as on the Unix socket. It is a package of its own so
// that the scha_* commands, which never go remote, do not link net/http.
package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// DefaultTimeout bounds one Call when Client.Timeout is zero, as
// client.DefaultTimeout does.
const DefaultTimeout = 30 * time.Second

// Client calls rgmd's remote API. Make it with New. It keeps its
// connection between calls and is safe for concurrent use.
//
// Errors carry a scha code, as client.Client's do: rgmd's own code for a
// request it refused or failed; SCHA_ERR_ACCESS when the TLS handshake
// is refused (no, expired or revoked credential, another cluster's CA);
// SCHA_ERR_INTERNAL when no server can be reached; SCHA_ERR_TIMEOUT when
// rgmd does not answer in time.
//
// Reads (wire.IsRead, but the event stream) go over a kept connection
// speaking the Unix socket's protocol (pkg/wire), which rgmd serves on
// the API port to a client that asks for it in the TLS handshake
// (wire.ALPN), one call at a time per server; the other ops, and every
// op to an rgmd that does not offer it, go over HTTPS.
type Client struct {
	servers []string // base URLs, https://host:port
	cred    *trust.Credential
	hc      *http.Client
	wires   []*wireServer // per server, as servers
	// Timeout bounds each Call. Optional: 0 means DefaultTimeout.
	Timeout time.Duration

	mu  sync.Mutex
	cur int // the server that answered last: tried first
}

// New returns a client of the servers (host:port or https://host:port; a
// failed connection tries the next) with the credential file at credPath
// (rgmadm cred issue's output).
func New(servers []string, credPath string) (*Client, error) {
	if len(servers) == 0 {
		return nil, scha.Errorf(scha.ErrInval, "no server given")
	}
	if credPath == "" {
		return nil, scha.Errorf(scha.ErrInval, "--server needs --cred FILE (or RGM_CRED): a credential from `rgmadm cred issue`")
	}
	b, err := os.ReadFile(credPath)
	if err != nil {
		return nil, scha.Errorf(scha.ErrInval, "reading the credential: %v", err)
	}
	cred, err := trust.ParseCredential(b)
	if err != nil {
		return nil, scha.Errorf(scha.ErrInval, "%s: %v", credPath, err)
	}
	return NewWithCredential(servers, cred)
}

// NewWithCredential is New with the credential already parsed.
func NewWithCredential(servers []string, cred *trust.Credential) (*Client, error) {
	if cred == nil {
		return nil, scha.Errorf(scha.ErrInval, "no credential")
	}
	c := &Client{cred: cred}
	for _, s := range servers {
		for _, s := range strings.Split(s, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !strings.Contains(s, "://") {
				s = "https://" + s
			}
			u, err := url.Parse(s)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				return nil, scha.Errorf(scha.ErrInval, "server %q: want HOST:PORT or https://HOST:PORT", s)
			}
			c.servers = append(c.servers, "https://"+u.Host)
		}
	}
	if len(c.servers) == 0 {
		return nil, scha.Errorf(scha.ErrInval, "no server given")
	}
	tr := &http.Transport{
		TLSClientConfig:     cred.ClientConfig(),
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	c.hc = &http.Client{Transport: tr}
	wcfg := cred.ClientConfig()
	wcfg.NextProtos = []string{wire.ALPN, "http/1.1"}
	for _, base := range c.servers {
		c.wires = append(c.wires, c.newWireServer(base, wcfg))
	}
	return c, nil
}

// Close drops the kept connections.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	for _, ws := range c.wires {
		ws.c.Close()
	}
	return nil
}

// Call runs op with args (marshalled to JSON; nil sends none) on a server
// and unmarshals the reply's data into out (ignored if nil).
func (c *Client) Call(ctx context.Context, op string, args any, out any) error {
	var body []byte
	if args != nil {
		var err error
		if body, err = wire.Encode(args); err != nil {
			return scha.Errorf(scha.ErrInval, "encoding arguments of %s: %v", op, err)
		}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if wire.IsRead(op) && op != wire.OpEvents {
		if err, done := c.callWire(ctx, timeout, op, body, out); done {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var env struct {
		Code scha.ErrCode    `json:"code"`
		Msg  string          `json:"msg"`
		Data json.RawMessage `json:"data"`
	}
	err := c.each(ctx, op, func(base string) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/ops/"+url.PathEscape(op), bytes.NewReader(body))
		if err != nil {
			return false, scha.Errorf(scha.ErrInval, "%s: %v", op, err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.hc.Do(req)
		if err != nil {
			return retryable(err, op), c.transportError(ctx, base, op, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxReply))
		if err != nil {
			return wire.IsRead(op), c.transportError(ctx, base, op, err)
		}
		if err := json.Unmarshal(b, &env); err != nil {
			return false, scha.Errorf(scha.ErrInternal, "bad reply from %s to %s (HTTP %d): %v", base, op, resp.StatusCode, err)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	if env.Code != scha.ErrNoErr {
		return &scha.Error{Code: env.Code, Detail: env.Msg}
	}
	if out != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return scha.Errorf(scha.ErrInternal, "decoding rgmd's reply to %s: %v", op, err)
		}
	}
	return nil
}

// each runs try on the servers in turn, starting with the one that
// answered last, until one answers or fails for good (try returns
// next false).
func (c *Client) each(ctx context.Context, op string, try func(base string) (next bool, err error)) error {
	c.mu.Lock()
	start := c.cur
	c.mu.Unlock()
	var err error
	for i := range c.servers {
		k := (start + i) % len(c.servers)
		var next bool
		next, err = try(c.servers[k])
		if err == nil {
			c.mu.Lock()
			c.cur = k
			c.mu.Unlock()
			return nil
		}
		if !next || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// retryable reports whether a failed request may go to the next server:
// it never reached this one (no connection), or it only reads.
func retryable(err error, op string) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	return wire.IsRead(op) && !isTLSRefusal(err)
}

func isTLSRefusal(err error) bool {
	s := err.Error()
	return strings.Contains(s, "tls: ") || strings.Contains(s, "x509: ") || strings.Contains(s, "certificate")
}

func (c *Client) transportError(ctx context.Context, base, op string, err error) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return scha.Errorf(scha.ErrTimeout, "rgmd at %s did not answer %s in time", base, op)
		}
		return scha.Errorf(scha.ErrInternal, "%s cancelled: %v", op, ctx.Err())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if isTLSRefusal(err) {
		return scha.Errorf(scha.ErrAccess, "rgmd at %s refused the connection: %v (is the credential expired, revoked, or of another cluster?)", base, err)
	}
	return scha.Errorf(scha.ErrInternal, "cannot reach rgmd at %s: %v (is it running with --api-addr?)", base, err)
}

// Stream follows op, which must be wire.OpEvents, calling fn with each
// event's JSON. When the stream breaks (rgmd cut a slow reader, or
// restarted, or the server went down) it reconnects, to the next server
// if need be, resuming after the last event it passed on: the server
// sends what was kept meanwhile, or a lost or reset event. It returns
// nil when ctx ends, fn's error if fn fails, and an *scha.Error when the
// server refuses the request.
func (c *Client) Stream(ctx context.Context, op string, args any, fn func(data json.RawMessage) error) error {
	if op != wire.OpEvents {
		return scha.Errorf(scha.ErrInval, "%s: no such stream over the remote API", op)
	}
	var a wire.EventsArgs
	if args != nil {
		b, _ := json.Marshal(args)
		json.Unmarshal(b, &a)
	}
	q := url.Values{}
	if a.Group != "" {
		q.Set("group", a.Group)
	}
	if a.Resource != "" {
		q.Set("resource", a.Resource)
	}
	for _, k := range a.Kinds {
		q.Add("kind", k)
	}
	last := ""
	if a.Since != nil {
		last = fmt.Sprint(*a.Since)
		if a.Epoch != "" {
			last = a.Epoch + "." + last
		}
	}
	failures := 0
	for {
		progressed := false
		err := c.each(ctx, op, func(base string) (bool, error) {
			req, err := http.NewRequestWithContext(ctx, "GET", base+"/v1/events?"+q.Encode(), nil)
			if err != nil {
				return false, scha.Errorf(scha.ErrInval, "events: %v", err)
			}
			if last != "" {
				req.Header.Set("Last-Event-ID", last)
			}
			req.Header.Set("Accept", "text/event-stream")
			resp, err := c.hc.Do(req)
			if err != nil {
				return !isTLSRefusal(err), c.transportError(ctx, base, op, err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				var env struct {
					Code scha.ErrCode `json:"code"`
					Msg  string       `json:"msg"`
				}
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				if json.Unmarshal(b, &env) != nil || env.Code == 0 {
					return false, scha.Errorf(scha.ErrInternal, "events from %s: HTTP %d", base, resp.StatusCode)
				}
				return false, &scha.Error{Code: env.Code, Detail: env.Msg}
			}
			return false, readSSE(resp.Body, func(id string, data []byte) error {
				progressed = true
				if id != "" {
					last = id
				}
				return fn(data)
			})
		})
		if ctx.Err() != nil {
			return nil
		}
		var se *scha.Error
		if errors.As(err, &se) && se.Code != scha.ErrInternal {
			return err // refused, or fn's own
		}
		if err != nil && !errors.As(err, &se) {
			return err // fn's error
		}
		// The stream ended or no server answered: resume, pausing
		// when nothing gets through.
		if progressed {
			failures = 0
		} else if failures++; failures > 30 {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Duration(min(failures, 10)) * 100 * time.Millisecond):
		}
	}
}

// errStreamEnded is a stream that ended without an error: rgmd closed it.
var errStreamEnded = scha.Errorf(scha.ErrInternal, "event stream ended")

// readSSE reads Server-Sent Events from r, calling fn with each event's
// id and data, until r ends (errStreamEnded) or fn fails.
func readSSE(r io.Reader, fn func(id string, data []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), wire.MaxMessage)
	var id string
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if data != nil {
				if err := fn(id, data); err != nil {
					return err
				}
			}
			id, data = "", nil
		case bytes.HasPrefix(line, []byte("id: ")):
			id = string(line[4:])
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append(data, line[6:]...)
		}
	}
	if err := sc.Err(); err != nil {
		return scha.Errorf(scha.ErrInternal, "event stream: %v", err)
	}
	return errStreamEnded
}
