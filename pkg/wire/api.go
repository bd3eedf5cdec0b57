package wire

// Ops of the remote API's credentials and of the audit record (rgmadm
// cred ..., rgmadm audit). None is a read: only root, rgmd's user and
// the admin role may call them.
const (
	OpCredIssue  = "cred.issue"  // CredIssueArgs → CredIssueReply
	OpCredRevoke = "cred.revoke" // CredRevokeArgs → CredRevokeReply
	OpCredList   = "cred.list"   // no args → []Credential
	OpAuditList  = "audit.list"  // AuditArgs → []AuditRecord
)

// CredIssueArgs asks for a user credential for the remote API: a
// certificate for Name with Role (viewer, operator or admin), valid for
// TTL seconds (0: the default, rgmd(8)).
type CredIssueArgs struct {
	Name string `json:"name"`
	Role string `json:"role"`
	TTL  int64  `json:"ttl,omitempty"`
}

// CredIssueReply is the credential file (certificate, private key and
// CA certificate, PEM) with its serial number and expiry (Unix seconds).
type CredIssueReply struct {
	Cred    string `json:"cred"`
	Serial  string `json:"serial"`
	Expires int64  `json:"expires"`
}

// CredRevokeArgs revokes user Name's credentials: all of them, or the
// one with Serial.
type CredRevokeArgs struct {
	Name   string `json:"name"`
	Serial string `json:"serial,omitempty"`
}

// CredRevokeReply says how many credentials were revoked.
type CredRevokeReply struct {
	Revoked int `json:"revoked"`
}

// Credential is one issued credential as the cluster records it.
type Credential struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Serial   string `json:"serial"`
	Issued   int64  `json:"issued"`
	Expires  int64  `json:"expires"`
	IssuedBy string `json:"issued_by,omitempty"`
	Revoked  int64  `json:"revoked,omitempty"`
}

// AuditArgs selects audit records: those at or after Since (Unix
// seconds; 0: all kept), the last Limit of them (0: all), oldest first.
type AuditArgs struct {
	Since int64 `json:"since,omitempty"`
	Limit int   `json:"limit,omitempty"`
	// Local keeps the records of the node asked; otherwise, on a
	// cluster, every node that is up is asked and the records merged.
	Local bool `json:"local,omitempty"`
}

// AuditRecord is one change asked of rgmd, with who asked and the result.
type AuditRecord struct {
	Time string `json:"time"` // RFC 3339, milliseconds
	Node string `json:"node"` // the node that received the request
	// Who is "uid N" for a local caller, the certificate's user name for
	// a remote one; Role is the remote caller's role.
	Who  string `json:"who"`
	Role string `json:"role,omitempty"`
	Addr string `json:"addr"` // "local" (with the pid), or the client's address
	Op   string `json:"op"`
	// Target is the object the request names, when it names one.
	Target string  `json:"target,omitempty"`
	Code   int     `json:"code"`
	Error  string  `json:"error,omitempty"`
	Millis float64 `json:"ms"`
}
