package admcmd

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Remote management: --server and --cred send every verb to rgmd's
// HTTPS API (pkg/client/remote) instead of the Unix socket; the cred
// verbs issue and revoke the credentials it accepts, and audit reads who
// changed what.

func remoteFlags(fs *pflag.FlagSet, o *opts) {
	fs.StringArrayVar(&o.servers, "server", o.servers, "talk to rgmd's remote API at `URL` (https://HOST:PORT; repeat or separate by commas to try the next when one is down; default $RGM_SERVER)")
	fs.StringVar(&o.cred, "cred", o.cred, "credential `FILE` for --server, from `rgmadm cred issue` (default $RGM_CRED)")
}

// connect returns the connection to use: the remote API when --server is
// given (or RGM_SERVER is set and --socket is not), else the socket.
func (inv *invocation) connect() (Caller, error) {
	servers, cred := inv.servers, inv.cred
	if len(servers) == 0 && inv.socket == "" {
		if s := os.Getenv("RGM_SERVER"); s != "" {
			servers = []string{s}
		}
	}
	if len(servers) == 0 {
		if cred != "" {
			return nil, usageError("--cred needs --server")
		}
		return inv.env.Connect(inv.socket), nil
	}
	if cred == "" {
		cred = os.Getenv("RGM_CRED")
	}
	if inv.env.ConnectRemote == nil {
		return nil, usageError("--server: this rgmadm cannot talk to a remote API")
	}
	return inv.env.ConnectRemote(servers, cred)
}

var credFlags struct {
	role   string
	ttl    time.Duration
	out    string
	serial string
}

var auditFlags struct {
	since string
	count int
	local bool
}

func init() {
	objects = append(objects,
		&object{
			name:    "cred",
			summary: "credentials of the remote API",
			verbs: []*verb{
				{
					name: "issue", operands: []string{"NAME"}, synopsis: "--role ROLE [--ttl DURATION] [--out FILE]",
					summary: "Issue a credential (certificate and key) for user NAME with ROLE viewer, operator or admin",
					flags: func(fs *pflag.FlagSet, _ *opts) {
						fs.StringVar(&credFlags.role, "role", "", "the user's `ROLE`: viewer, operator or admin")
						fs.DurationVar(&credFlags.ttl, "ttl", 0, "how long the credential lasts (default 720h)")
						fs.StringVar(&credFlags.out, "out", "", "write the credential to `FILE` (mode 0600) instead of standard output")
					},
					run: credIssue,
				},
				{
					name: "revoke", operands: []string{"NAME"}, synopsis: "[--serial SERIAL]",
					summary: "Revoke user NAME's credentials (every node refuses them at once)",
					flags: func(fs *pflag.FlagSet, _ *opts) {
						fs.StringVar(&credFlags.serial, "serial", "", "revoke only the credential with `SERIAL`")
					},
					run: credRevoke,
				},
				{name: "list", read: true, summary: "List issued credentials", run: credList},
			},
		},
		&object{
			name:    "audit",
			summary: "who changed what, from where, with what result",
			self: &verb{
				name: "audit", read: true, synopsis: "[--since DURATION|TIME] [-n COUNT] [--local]",
				summary: "Show the audit record of changes, of every node that is up (--local: of this node)",
				flags: func(fs *pflag.FlagSet, _ *opts) {
					fs.StringVar(&auditFlags.since, "since", "", "only records from the last `DURATION` (1h) or since TIME (RFC 3339)")
					fs.IntVarP(&auditFlags.count, "count", "n", 0, "only the last `COUNT` records")
					boolFlag(fs, &auditFlags.local, "local", "", "only the records of the node asked")
				},
				run: audit,
			},
		},
	)
}

func credIssue(inv *invocation, _ *opts, operands []string) error {
	f := credFlags
	if f.role == "" {
		return usageError("cred issue: --role is required (viewer, operator or admin)")
	}
	if f.ttl < 0 {
		return usageError("cred issue: --ttl must not be negative")
	}
	var rep wire.CredIssueReply
	if err := inv.call(wire.OpCredIssue, &wire.CredIssueArgs{Name: operands[0], Role: f.role, TTL: int64(f.ttl / time.Second)}, &rep); err != nil {
		return err
	}
	if f.out != "" {
		if err := os.WriteFile(f.out, []byte(rep.Cred), 0o600); err != nil {
			return scha.Errorf(scha.ErrInternal, "cred issue: %v", err)
		}
		fmt.Fprintf(inv.env.Stderr, "rgmadm: credential of %s (serial %s) written to %s, valid until %s\n", operands[0], rep.Serial, f.out, time.Unix(rep.Expires, 0).UTC().Format(time.RFC3339))
		return nil
	}
	fmt.Fprint(inv.env.Stdout, rep.Cred)
	return nil
}

func credRevoke(inv *invocation, _ *opts, operands []string) error {
	var rep wire.CredRevokeReply
	if err := inv.call(wire.OpCredRevoke, &wire.CredRevokeArgs{Name: operands[0], Serial: credFlags.serial}, &rep); err != nil {
		return err
	}
	fmt.Fprintf(inv.env.Stderr, "rgmadm: %d credential(s) of %s revoked\n", rep.Revoked, operands[0])
	return nil
}

func unixTime(t int64) string {
	if t == 0 {
		return "-"
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}

func credList(inv *invocation, o *opts, _ []string) error {
	var creds []wire.Credential
	if err := inv.call(wire.OpCredList, nil, &creds); err != nil {
		return err
	}
	switch inv.listMode(o) {
	case listJSON:
		return writeJSON(inv.env.Stdout, nonNil(creds))
	case listNames:
		for _, c := range creds {
			fmt.Fprintln(inv.env.Stdout, c.Name, c.Serial)
		}
		return nil
	}
	t := &table{}
	t.add("NAME", "ROLE", "SERIAL", "EXPIRES", "REVOKED", "ISSUED BY")
	for _, c := range creds {
		t.add(c.Name, c.Role, c.Serial, unixTime(c.Expires), unixTime(c.Revoked), orDash(c.IssuedBy))
	}
	inv.printTable(inv.env.Stdout, t)
	return nil
}

// parseSince reads --since: a duration back from now, or a time.
func parseSince(s string, now time.Time) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d).Unix(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Unix(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("want a duration (1h), an RFC 3339 time or Unix seconds, got %q", s)
}

func audit(inv *invocation, o *opts, _ []string) error {
	f := auditFlags
	since, err := parseSince(f.since, time.Now())
	if err != nil {
		return usageError("audit: --since: %v", err)
	}
	if f.count < 0 {
		return usageError("audit: -n must not be negative")
	}
	var recs []wire.AuditRecord
	if err := inv.call(wire.OpAuditList, &wire.AuditArgs{Since: since, Limit: f.count, Local: f.local}, &recs); err != nil {
		return err
	}
	if o.output == "json" {
		return writeJSON(inv.env.Stdout, nonNil(recs))
	}
	t := &table{}
	t.add("TIME", "NODE", "WHO", "FROM", "OP", "TARGET", "RESULT")
	for _, r := range recs {
		who := r.Who
		if r.Role != "" {
			who += " (" + r.Role + ")"
		}
		result := "OK"
		if r.Code != 0 {
			result = scha.ErrCode(r.Code).Symbol()
			if r.Error != "" {
				result += ": " + strings.ReplaceAll(r.Error, "\n", "; ")
			}
		}
		t.add(r.Time, r.Node, who, r.Addr, r.Op, orDash(r.Target), result)
	}
	inv.printTable(inv.env.Stdout, t)
	return nil
}
