package trust

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// A join token is one word an operator copies from `rgmadm cluster token`
// on a node to `rgmd --join --token` on a new one:
//
//	ORGM1-<64 hex digits: SHA-256 of the CA certificate>-<43 base64url characters: the secret>
//
// "ORGM1" names the format, so a later format can be told apart and
// refused with a clear message. Hex and base64url need no quoting in a
// shell, and no character of the fingerprint part is a '-', so the word
// splits unambiguously even though base64url uses '-'.
const (
	tokenPrefix  = "ORGM"
	tokenVersion = "1"
	secretSize   = 32
	// tokenLen is the length of every valid token: "ORGM1-", 64 hex
	// digits, '-', 43 base64url characters.
	tokenLen = len(tokenPrefix+tokenVersion) + 1 + 64 + 1 + (secretSize*8+5)/6
)

var secretEncoding = base64.RawURLEncoding.Strict()

// Token is a join token: the fingerprint of the cluster's CA, with which
// the joining node recognizes the cluster (JoinClientConfig), and a
// 32-byte random secret, with which it proves it was invited. The cluster
// stores only SecretHash, with the token's expiry and whether it was
// used; those rules are the caller's.
type Token struct {
	fingerprint string // "sha256:" + 64 lowercase hex digits
	secret      [secretSize]byte
}

// NewToken makes a token with a new random secret for the CA whose
// fingerprint (CA.Fingerprint) is given.
func NewToken(fingerprint string) (Token, error) {
	if _, err := parseFingerprint(fingerprint); err != nil {
		return Token{}, err
	}
	t := Token{fingerprint: fingerprint}
	if _, err := rand.Read(t.secret[:]); err != nil {
		return Token{}, err
	}
	return t, nil
}

// ParseToken reads a token as String writes it. Surrounding white space
// (a copied newline) is ignored; anything else that is not exactly a
// token is an error that says what is wrong, and never echoes the
// secret.
func ParseToken(s string) (Token, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Token{}, errors.New("join token is empty")
	}
	if len(s) > 4*tokenLen {
		return Token{}, fmt.Errorf("join token is %d characters long; a token has %d", len(s), tokenLen)
	}
	version, rest, ok := strings.Cut(s, "-")
	if !ok {
		return Token{}, errors.New(`join token has no '-': a token looks like "ORGM1-<fingerprint>-<secret>"`)
	}
	v, ok := strings.CutPrefix(version, tokenPrefix)
	if !ok {
		return Token{}, errors.New(`join token does not start with "ORGM1-": is it a token of rgmadm cluster token?`)
	}
	if v != tokenVersion {
		return Token{}, fmt.Errorf("join token format %q is not known to this rgmd (it reads %s%s tokens)", truncate(version, 12), tokenPrefix, tokenVersion)
	}
	fp, secret, ok := strings.Cut(rest, "-")
	if !ok {
		return Token{}, errors.New(`join token has no secret part: a token looks like "ORGM1-<fingerprint>-<secret>"`)
	}
	if !isLowerHex(fp, 64) {
		return Token{}, fmt.Errorf("join token's fingerprint part is not 64 lowercase hex digits (%d characters)", len(fp))
	}
	want := (secretSize*8 + 5) / 6
	if len(secret) != want {
		return Token{}, fmt.Errorf("join token's secret part is %d characters long; it has %d (was the token cut short when copied?)", len(secret), want)
	}
	for i := 0; i < len(secret); i++ {
		c := secret[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return Token{}, fmt.Errorf("join token's secret part has a character that is not base64url at position %d", i+1)
		}
	}
	t := Token{fingerprint: fingerprintPrefix + fp}
	n, err := secretEncoding.Decode(t.secret[:], []byte(secret))
	if err != nil || n != secretSize {
		// Strict decoding refuses a last character whose unused bits
		// are set, so each secret has exactly one spelling.
		return Token{}, errors.New("join token's secret part is not canonical base64url")
	}
	return t, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// String returns the token as one copy-pasteable word. It holds the
// secret: print it for the operator, never log it (slog logs LogValue).
func (t Token) String() string {
	return tokenPrefix + tokenVersion + "-" + strings.TrimPrefix(t.fingerprint, fingerprintPrefix) +
		"-" + secretEncoding.EncodeToString(t.secret[:])
}

// LogValue makes slog print the token's ID, never its secret.
func (t Token) LogValue() slog.Value { return slog.StringValue("token " + t.ID()) }

// Fingerprint returns the CA fingerprint the token carries, in the form
// CA.Fingerprint gives and JoinClientConfig takes.
func (t Token) Fingerprint() string { return t.fingerprint }

// Secret returns the token's secret: what the joining node sends, inside
// the TLS connection JoinClientConfig pinned, for CheckSecret.
func (t Token) Secret() []byte { return append([]byte(nil), t.secret[:]...) }

// SecretHash returns the lowercase hex SHA-256 of the secret, the only
// trace of a token the cluster keeps: the replicated log, its snapshots
// and backups can be read without giving anyone a way to join.
func (t Token) SecretHash() string { return secretHash(t.secret[:]) }

// ID returns the first 8 hex digits of SecretHash: a name for the token
// in logs and listings. A listing made from stored hashes shows the same
// IDs (hash[:8]). It does not help guessing the secret.
func (t Token) ID() string { return t.SecretHash()[:8] }

func secretHash(secret []byte) string {
	sum := sha256.Sum256(secret)
	return hex.EncodeToString(sum[:])
}

// CheckSecret reports whether secret is the one whose SecretHash is hash.
// The comparison takes the same time whatever the secret, so a joining
// node that guesses learns nothing from how long the refusal took.
func CheckSecret(hash string, secret []byte) bool {
	got := secretHash(secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

// parseFingerprint returns the 32 bytes of a "sha256:<64 hex>" string.
func parseFingerprint(fp string) ([]byte, error) {
	h, ok := strings.CutPrefix(fp, fingerprintPrefix)
	if !ok || !isLowerHex(h, 64) {
		return nil, fmt.Errorf("fingerprint %q is not %q and 64 lowercase hex digits", fp, fingerprintPrefix)
	}
	return hex.DecodeString(h)
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
