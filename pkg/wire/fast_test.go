package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestGetArgsAppendJSON(t *testing.T) {
	for _, a := range []GetArgs{
		{},
		{Kind: "resource", Name: "r", Group: "g", Tag: "RESOURCE_STATE"},
		{Kind: "cluster", Tag: "ALL_NODENAMES", Operands: []string{"a", "b\"\\\n\x01é\xff<>&\u2028"}},
		{Kind: "type", Name: "T", Operands: []string{}},
	} {
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&a); err != nil {
			t.Fatal(err)
		}
		if got := a.AppendJSON(nil); string(got)+"\n" != want.String() {
			t.Errorf("AppendJSON(%+v) = %s, encoding/json = %s", a, got, want.String())
		}
	}
}

var fastSeeds = []string{
	`{"v":1,"id":7,"code":0,"data":{"type":"enum","values":["OFFLINE"],"seq":3}}`,
	`{"v":1,"id":7,"code":14,"msg":"no resource \"r\""}`,
	`{"v":1,"id":7,"code":0,"data":null}`,
	` { "V" : 1 , "id" : 2 } `,
	`{"type":"string","ext_type":"INT","values":[],"seq":18446744073709551615}`,
	`{"type":"string","values":null,"values":["a","b"],"x":{"y":[1,"]"]}}`,
	`{"type":"string","values":["\u00e9", "a\\b"],"seq":-1}`,
	`{"v":1e0,"id":01}`,
	`[]`,
	`{}`,
}

// FuzzFastDecode: whatever the fast decoders accept, they decode exactly
// as encoding/json does; whatever they reject, DecodeData and the reply
// reader hand to encoding/json.
func FuzzFastDecode(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var want, got GetReply
		werr := json.Unmarshal(in, &want)
		gerr := DecodeData(in, &got)
		if (werr == nil) != (gerr == nil) || (werr == nil && !reflect.DeepEqual(want, got)) {
			t.Fatalf("DecodeData(%q) = %+v, %v; encoding/json: %+v, %v", in, got, gerr, want, werr)
		}
		var wrep, grep Reply
		werr = json.Unmarshal(in, &wrep)
		gerr = decodeObject(in, &grep)
		if werr == nil && gerr == nil && !reflect.DeepEqual(wrep, grep) {
			t.Fatalf("decodeObject(%q) = %+v; encoding/json: %+v", in, grep, wrep)
		}
		if gerr == nil && werr != nil {
			t.Fatalf("decodeObject(%q) accepted what encoding/json rejects: %v", in, werr)
		}
	})
}
