package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestAppendJSON(t *testing.T) {
	var msgs []Appender
	for _, g := range []GetReply{
		{},
		{Type: "enum", Values: []string{"OFFLINE"}, Seq: 5},
		{Type: "extension", ExtType: "STRINGARRAY", Values: []string{}, Seq: 18446744073709551615},
		{Type: "string", Values: []string{"<a&b>", "\x7f\u2029", ""}},
	} {
		msgs = append(msgs, &g)
	}
	for _, a := range []GetArgs{
		{},
		{Kind: "resource", Name: "r", Group: "g", Tag: "RESOURCE_STATE"},
		{Kind: "cluster", Tag: "ALL_NODENAMES", Operands: []string{"a", "b\"\\\n\x01é\xff<>&\u2028"}},
		{Kind: "type", Name: "T", Operands: []string{}},
	} {
		msgs = append(msgs, &a)
	}
	msgs = append(msgs, (*GetArgs)(nil), (*GetReply)(nil))
	for _, m := range msgs {
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		if got := m.AppendJSON(nil); string(got)+"\n" != want.String() {
			t.Errorf("AppendJSON(%+v) = %s, encoding/json = %s", m, got, want.String())
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
	`{"v":1,"id":3,"op":"get","args":{"kind":"resource","name":"r","group":"g","tag":"STATUS","operands":["n1"]}}`,
	`{"kind":"cluster","tag":"ALL_NODENAMES","operands":null}`,
	`{"v":1,"id":3,"op":"x","args":null}`,
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
		var wargs, gargs GetArgs
		werr = json.Unmarshal(in, &wargs)
		gerr = DecodeData(in, &gargs)
		if (werr == nil) != (gerr == nil) || (werr == nil && !reflect.DeepEqual(wargs, gargs)) {
			t.Fatalf("DecodeData(%q) = %+v, %v; encoding/json: %+v, %v", in, gargs, gerr, wargs, werr)
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
		var wreq, greq Request
		werr = json.Unmarshal(in, &wreq)
		gerr = decodeObject(in, &greq)
		if werr == nil && gerr == nil && !reflect.DeepEqual(wreq, greq) {
			t.Fatalf("decodeObject(%q) = %+v; encoding/json: %+v", in, greq, wreq)
		}
		if gerr == nil && werr != nil {
			t.Fatalf("decodeObject(%q) accepted what encoding/json rejects: %v", in, werr)
		}
	})
}
