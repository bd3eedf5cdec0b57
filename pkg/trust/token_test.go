package trust

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
)

const testFP = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestTokenRoundTrip(t *testing.T) {
	tok, err := NewToken(testFP)
	if err != nil {
		t.Fatal(err)
	}
	s := tok.String()
	if len(s) != tokenLen || !strings.HasPrefix(s, "ORGM1-0123456789abcdef") {
		t.Errorf("token %q: %d characters, want %d starting ORGM1-<fingerprint hex>", s, len(s), tokenLen)
	}
	if strings.ContainsAny(s, " \t\n'\"$=+/") {
		t.Errorf("token %q is not one shell word", s)
	}
	for _, in := range []string{s, " " + s + "\n", "\t" + s + "\r\n"} {
		got, err := ParseToken(in)
		if err != nil {
			t.Fatalf("ParseToken(%q): %v", in, err)
		}
		if got != tok {
			t.Errorf("ParseToken(String()) = %v, want the token back", got.String())
		}
	}
	if tok.Fingerprint() != testFP {
		t.Errorf("Fingerprint = %q", tok.Fingerprint())
	}
	sum := sha256.Sum256(tok.Secret())
	if len(tok.Secret()) != 32 || tok.SecretHash() != hex.EncodeToString(sum[:]) {
		t.Errorf("SecretHash %q is not the hex SHA-256 of a 32-byte secret", tok.SecretHash())
	}
	if tok.ID() != tok.SecretHash()[:8] {
		t.Errorf("ID %q is not the hash's first 8 hex digits", tok.ID())
	}
	other, _ := NewToken(testFP)
	if other.Secret()[0] == tok.Secret()[0] && bytes.Equal(other.Secret(), tok.Secret()) {
		t.Error("two tokens with the same secret")
	}

	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("issued", "token", tok)
	if strings.Contains(buf.String(), s[len(s)-43:]) || !strings.Contains(buf.String(), tok.ID()) {
		t.Errorf("slog line %q: want the token's ID and not its secret", buf.String())
	}

	for _, bad := range []string{"", "sha256:", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "md5:" + testFP[7:]} {
		if _, err := NewToken(bad); err == nil {
			t.Errorf("NewToken(%q) accepted", bad)
		}
	}
}

func TestParseTokenMalformed(t *testing.T) {
	tok, _ := NewToken(testFP)
	good := tok.String()
	fp := testFP[len("sha256:"):]
	secret := good[len(good)-43:]
	// A secret whose last character has unused bits set: "A"..."B"
	// decode alike if unused bits are ignored.
	lastBits := secret[:42] + "B"
	if secret[42] == 'B' {
		lastBits = secret[:42] + "C"
	}
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"blank", " \n", "empty"},
		{"one word", "hello", "no '-'"},
		{"another prefix", "TOKEN-" + fp + "-" + secret, `start with "ORGM1-"`},
		{"later version", "ORGM2-" + fp + "-" + secret, `format "ORGM2"`},
		{"no secret", "ORGM1-" + fp, "no secret"},
		{"short fingerprint", "ORGM1-" + fp[:63] + "-" + secret, "64 lowercase hex"},
		{"upper-case fingerprint", "ORGM1-" + strings.ToUpper(fp) + "-" + secret, "64 lowercase hex"},
		{"fingerprint with prefix", "ORGM1-sha256:" + fp + "-" + secret, "64 lowercase hex"},
		{"cut short", "ORGM1-" + fp + "-" + secret[:40], "43"},
		{"too long", "ORGM1-" + fp + "-" + secret + "A", "43"},
		{"padded", "ORGM1-" + fp + "-" + secret[:42] + "=", "not base64url"},
		{"std base64", "ORGM1-" + fp + "-" + secret[:41] + "+/", "not base64url"},
		{"newline inside", "ORGM1-" + fp + "-" + secret[:20] + "\n" + secret[21:], "not base64url"},
		{"space inside", "ORGM1-" + fp + " -" + secret, "64 lowercase hex"},
		{"not canonical", "ORGM1-" + fp + "-" + lastBits, "canonical"},
		{"huge", strings.Repeat("ORGM1-", 1000), "characters long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseToken(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseToken: %v, want an error with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret[:10]) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

func TestCheckSecret(t *testing.T) {
	tok, _ := NewToken(testFP)
	other, _ := NewToken(testFP)
	hash := tok.SecretHash()
	tests := []struct {
		name   string
		hash   string
		secret []byte
		want   bool
	}{
		{"right", hash, tok.Secret(), true},
		{"another token", hash, other.Secret(), false},
		{"empty secret", hash, nil, false},
		{"secret cut short", hash, tok.Secret()[:31], false},
		{"empty hash", "", tok.Secret(), false},
		{"upper-case hash", strings.ToUpper(hash), tok.Secret(), false},
		{"hash cut short", hash[:63], tok.Secret(), false},
	}
	for _, tt := range tests {
		if got := CheckSecret(tt.hash, tt.secret); got != tt.want {
			t.Errorf("%s: CheckSecret = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// FuzzParseToken checks that ParseToken never panics, and that what it
// accepts is a token with one spelling: String gives back the input
// (less surrounding space) and parses to the same token.
func FuzzParseToken(f *testing.F) {
	tok, _ := NewToken(testFP)
	f.Add(tok.String())
	f.Add(" " + tok.String() + "\n")
	f.Add("ORGM1-" + testFP[7:] + "-")
	f.Add("ORGM1--")
	f.Add("ORGM2-x-y")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			return
		}
		out := tok.String()
		if out != strings.TrimSpace(s) {
			t.Fatalf("ParseToken(%q).String() = %q", s, out)
		}
		again, err := ParseToken(out)
		if err != nil || again != tok {
			t.Fatalf("ParseToken(String()) = %v, %v", again, err)
		}
		if !CheckSecret(tok.SecretHash(), tok.Secret()) {
			t.Fatal("CheckSecret refuses the token's own secret")
		}
	})
}
