package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var scanSeeds = []string{
	``, ` `, `{}`, `[]`, ` { } `, `[ ]`, `{"a":1}`, `{"a" : [1, 2.5e-3, -0, true, false, null, "x"]}`,
	`{"a":1,}`, `[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{1:2}`, `{"a":1 "b":2}`, `[1 2]`, `01`, `-`, `1.`, `1e`, `1e+`,
	`.5`, `+1`, `"\u00e9\n\"\\\/\b\f\r\t"`, `"\u12"`, `"\x"`, "\"a\x01\"", "\"\xff\xfe\"", `tru`, `nul`, `falsey`,
	`"abc`, `[`, `{`, `]`, `}`, `{"a":{"b":[{"c":[]}]}}`, `1 2`, `"a" "b"`, "\t[\r\n1\n]\n", `{"a":1}}`, `[1]]`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"v":1,"id":7,"code":0,"data":{"type":"enum","values":["ONLINE"],"seq":3}}`,
}

// FuzzScan checks Valid and appendCompact against encoding/json.
func FuzzScan(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want := json.Valid(in)
		if got := Valid(in); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", in, got, want)
		}
		var wantC bytes.Buffer
		werr := json.Compact(&wantC, in)
		got, ok := appendCompact([]byte("x"), in)
		if ok != (werr == nil) {
			t.Fatalf("appendCompact(%q) ok = %v, json.Compact: %v", in, ok, werr)
		}
		if ok && string(got) != "x"+wantC.String() {
			t.Fatalf("appendCompact(%q) = %q, json.Compact gives %q", in, got[1:], wantC.String())
		}
		if !ok && string(got) != "x" {
			t.Fatalf("appendCompact(%q) changed dst on failure: %q", in, got)
		}
	})
}
