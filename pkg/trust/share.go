package trust

// What a node that admits another hands over. Every voter may become the
// leader and so sign the next node's certificate: the joining node
// receives the CA's key, over the TLS in which it pinned the CA by the
// token's fingerprint, and keeps it as the first node does (ca.key, mode
// 0600). Anyone holding a node's state directory holds the cluster.

// KeyPEM returns the CA's private key in PEM, to hand to a joining node.
func (ca *CA) KeyPEM() ([]byte, error) { return encodeKeyPEM(ca.key) }

// HashSecret is the hash of a join token's secret, as Token.SecretHash
// gives it: what the replicated log keeps and a join is checked against.
func HashSecret(secret []byte) string { return secretHash(secret) }
