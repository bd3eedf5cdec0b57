package model

import (
	"slices"

	"github.com/openrgm/openrgm/pkg/scha"
)

// Credential is one user certificate issued for the remote API (rgmadm
// cred issue), as the replicated log records it: enough to list who may
// connect and to refuse a revoked certificate on every node at once. The
// certificate and its key are never stored.
type Credential struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Serial   string `json:"serial"`  // the certificate's serial number, hex
	Issued   int64  `json:"issued"`  // Unix seconds
	Expires  int64  `json:"expires"` // Unix seconds: the certificate's NotAfter
	IssuedBy string `json:"issued_by,omitempty"`
	Revoked  int64  `json:"revoked,omitempty"` // Unix seconds; 0 while valid
}

// MaxCredentials bounds the credentials kept: issuing more drops expired
// ones first (a revoked certificate that has expired needs no record: the
// handshake refuses it anyway), then refuses.
const MaxCredentials = 10000

// AddCredential records an issued credential. now (Unix seconds, chosen
// by the proposer) prunes expired records.
func (c *Config) AddCredential(cr Credential, now int64) error {
	if CheckName("user", cr.Name, scha.ErrInval) != nil || cr.Serial == "" || cr.Expires <= now {
		return scha.Errorf(scha.ErrInval, "malformed credential record")
	}
	tr := c.ownTrust()
	kept := make([]Credential, 0, len(tr.Creds)+1)
	for _, old := range tr.Creds {
		if old.Serial == cr.Serial {
			return scha.Errorf(scha.ErrInval, "credential serial %s is recorded already", cr.Serial)
		}
		if old.Expires > now {
			kept = append(kept, old)
		}
	}
	if len(kept) >= MaxCredentials {
		return scha.Errorf(scha.ErrInval, "%d unexpired credentials are recorded: revoke or let some expire first", len(kept))
	}
	tr.Creds = append(kept, cr)
	c.Seq++
	return nil
}

// RevokeCredentials marks revoked, at now, the credentials of user name
// (every one of them when serial is "", else the one with that serial).
// It returns how many were newly revoked; none is SCHA_ERR_INVAL.
func (c *Config) RevokeCredentials(name, serial string, now int64) (int, error) {
	n := 0
	if c.Trust != nil {
		for _, cr := range c.Trust.Creds {
			if cr.Name == name && cr.Revoked == 0 && (serial == "" || cr.Serial == serial) {
				n++
			}
		}
	}
	if n == 0 {
		if serial != "" {
			return 0, scha.Errorf(scha.ErrInval, "user %s has no unrevoked credential with serial %s", name, serial)
		}
		return 0, scha.Errorf(scha.ErrInval, "user %s has no unrevoked credential", name)
	}
	tr := c.ownTrust()
	for i := range tr.Creds {
		cr := &tr.Creds[i]
		if cr.Name == name && cr.Revoked == 0 && (serial == "" || cr.Serial == serial) {
			cr.Revoked = now
		}
	}
	c.Seq++
	return n, nil
}

// Credentials returns a copy of the recorded credentials, oldest first.
func (c *Config) Credentials() []Credential {
	if c.Trust == nil {
		return []Credential{}
	}
	return append([]Credential{}, c.Trust.Creds...)
}

// CredentialRevoked reports whether the certificate with serial (hex) was
// recorded and then revoked.
func (c *Config) CredentialRevoked(serial string) bool {
	if c.Trust == nil {
		return false
	}
	i := slices.IndexFunc(c.Trust.Creds, func(cr Credential) bool { return cr.Serial == serial })
	return i >= 0 && c.Trust.Creds[i].Revoked != 0
}

// RevokedSerials returns the serials of the revoked credentials. A trust
// record is replaced, never changed in place (ownTrust), so the answer
// holds for as long as c.Trust is the same pointer: rgmd keeps it that
// long, to answer at every remote request without a search.
func (c *Config) RevokedSerials() map[string]bool {
	out := map[string]bool{}
	if c.Trust != nil {
		for _, cr := range c.Trust.Creds {
			if cr.Revoked != 0 {
				out[cr.Serial] = true
			}
		}
	}
	return out
}
