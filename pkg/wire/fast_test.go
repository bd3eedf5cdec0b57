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
	msgs = append(msgs, &LifecycleArgs{}, &LifecycleArgs{Name: "web-rg"}, &LifecycleArgs{Name: "g\"<é>", Node: "n1"},
		&WaitArgs{}, &WaitArgs{Groups: []string{}}, &WaitArgs{Groups: []string{"a", "b\\"}, TimeoutMs: 10000}, &WaitArgs{TimeoutMs: -1}, &WaitArgs{Groups: []string{"g"}, TimeoutMs: 5, Node: "n2"})
	msg, empty := "slow \"replies\" <é>\n", ""
	msgs = append(msgs, &SetStatusArgs{}, &SetStatusArgs{Resource: "r", Group: "g", Status: "OK"},
		&SetStatusArgs{Resource: "r", Status: "DEGRADED", Message: &msg}, &SetStatusArgs{Resource: "r", Group: "g", Status: "OK", Message: &empty},
		&ControlArgs{}, &ControlArgs{Tag: "RESOURCE_RESTART", Resource: "r\x01", Group: "g"})
	msgs = append(msgs, (*GetArgs)(nil), (*GetReply)(nil), (*LifecycleArgs)(nil), (*WaitArgs)(nil), (*SetStatusArgs)(nil), (*ControlArgs)(nil))
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
	`{"groups":["one","two"]}`,
	`{"groups":null}`,
	`{"settled":true,"groups":[{"name":"one","state":"ONLINE","resources":[{"name":"one-rs","type":"T:1","state":"ONLINE","status":"OK","status_msg":"","on_off":"ENABLED","monitored":"TRUE","desired":"ONLINE"}],"desired":"ONLINE"}]}`,
	`{"settled":false,"groups":[{"name":"g","state":"PENDING_ONLINE","resources":[],"suspended":true},{"name":"h","resources":null}]}`,
	`{"settled":true,"groups":[{"name":"a","resources":[{"name":"x","type":"t"}]}],"groups":[{"resources":[{"name":"y"}]}]}`,
	`{"groups":[null],"settled":1}`,
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
		var wlr, glr LifecycleReply
		werr = json.Unmarshal(in, &wlr)
		gerr = DecodeData(in, &glr)
		if (werr == nil) != (gerr == nil) || (werr == nil && !reflect.DeepEqual(wlr, glr)) {
			t.Fatalf("DecodeData(%q) = %+v, %v; encoding/json: %+v, %v", in, glr, gerr, wlr, werr)
		}
		var wwr, gwr WaitReply
		werr = json.Unmarshal(in, &wwr)
		gerr = DecodeData(in, &gwr)
		if (werr == nil) != (gerr == nil) || (werr == nil && !reflect.DeepEqual(wwr, gwr)) {
			t.Fatalf("DecodeData(%q) = %+v, %v; encoding/json: %+v, %v", in, gwr, gerr, wwr, werr)
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
