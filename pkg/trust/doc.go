// Package trust is join and trust between nodes: the cluster CA, node
// certificates, join tokens and the TLS configurations built on them.
//
// The first node of a cluster makes a CA (LoadOrCreateCA) and keeps it in
// its state directory. Every node, the first included, holds an Identity:
// its own key, a node certificate signed by that CA, and the CA
// certificate. Every connection between nodes is TLS 1.3 with both sides
// proving a certificate of this CA (Identity.ServerConfig and
// Identity.ClientConfig), so a peer without one gets nothing and changes
// nothing.
//
// A node that has no certificate yet joins with a token (NewToken,
// ParseToken). The token carries the CA's fingerprint, which lets the
// joining node pin the cluster before it trusts anything it is told
// (JoinClientConfig), and a secret, which proves to the cluster that the
// joiner was invited. Only the secret's hash is ever stored (in the
// replicated log), so a copy of the log is not an invitation. The joining
// node makes its own key (NewKey) and sends a certificate request
// (NewCSR); its private key never leaves it. The CA signs the request
// (CA.SignNode) and the node keeps the result (NewIdentity, SaveIdentity).
//
// The same CA signs user certificates for the remote API (CA.SignUser),
// with a role in place of "node", so one chain of trust covers nodes and
// operators while neither kind can pass for the other.
//
// The package does no I/O beyond its own files in the directory it is
// given, keeps no global state and reads no clock where a caller can pass
// one: validity is checked at a time the caller controls (the now
// arguments, and tls.Config.Time for handshakes), so expiry is testable.
package trust
