package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/openrgm/openrgm/pkg/scha"
)

// The scha_* commands and the C library send one Request holding one
// GetArgs and read one Reply holding one GetReply. encoding/json's first
// use of a struct type builds its field tables by reflection, which costs
// more than the round trip to rgmd (about 150 µs in a fresh process), and
// in rgmd, under monitors that query in a loop, its decoding is the
// largest part of a get's CPU time; so those messages have hand-written
// codecs. Decoding takes the fast path only for input
// it is sure about — valid JSON, exactly the known keys, plain strings and
// integers — and otherwise hands the input to encoding/json, so the result
// is always what encoding/json would give (FuzzFastDecode checks it).

// AppendJSON appends a's JSON encoding to b: what json.Marshal gives,
// except that <, > and & are not escaped for HTML.
func (a *GetArgs) AppendJSON(b []byte) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"kind":`...)
	b = appendString(b, a.Kind)
	if a.Name != "" {
		b = append(b, `,"name":`...)
		b = appendString(b, a.Name)
	}
	if a.Group != "" {
		b = append(b, `,"group":`...)
		b = appendString(b, a.Group)
	}
	b = append(b, `,"tag":`...)
	b = appendString(b, a.Tag)
	if len(a.Operands) > 0 {
		b = append(b, `,"operands":[`...)
		for i, o := range a.Operands {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, o)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// AppendJSON appends g's JSON encoding to b: what json.Marshal gives,
// except that <, > and & are not escaped for HTML.
func (g *GetReply) AppendJSON(b []byte) []byte {
	if g == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"type":`...)
	b = appendString(b, string(g.Type))
	if g.ExtType != "" {
		b = append(b, `,"ext_type":`...)
		b = appendString(b, g.ExtType)
	}
	b = append(b, `,"values":`...)
	b = appendStrings(b, g.Values)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, g.Seq, 10)
	return append(b, '}')
}

// rgmadm's lifecycle verbs with --wait send a LifecycleArgs and then a
// WaitArgs, and read a LifecycleReply and a WaitReply: in a fresh rgmadm,
// encoding/json's first use of those four types costs about 0.2 ms, a
// twentieth of an `rgmadm rg online --wait`, so they have hand-written
// codecs too.

// AppendJSON appends a's JSON encoding to b: what json.Marshal gives,
// except that <, > and & are not escaped for HTML.
func (a *LifecycleArgs) AppendJSON(b []byte) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"name":`...)
	b = appendString(b, a.Name)
	if a.Node != "" {
		b = append(b, `,"node":`...)
		b = appendString(b, a.Node)
	}
	return append(b, '}')
}

// AppendJSON appends a's JSON encoding to b: what json.Marshal gives,
// except that <, > and & are not escaped for HTML.
func (a *WaitArgs) AppendJSON(b []byte) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"groups":`...)
	b = appendStrings(b, a.Groups)
	if a.TimeoutMs != 0 {
		b = append(b, `,"timeout_ms":`...)
		b = strconv.AppendInt(b, int64(a.TimeoutMs), 10)
	}
	if a.Node != "" {
		b = append(b, `,"node":`...)
		b = appendString(b, a.Node)
	}
	return append(b, '}')
}

// scha_resource_setstatus and scha_control send one SetStatusArgs or
// ControlArgs: encoding/json's reflection would be most of the command's
// own time.

// AppendJSON appends a's JSON encoding to b: what json.Marshal gives,
// except that <, > and & are not escaped for HTML.
func (a *SetStatusArgs) AppendJSON(b []byte) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"resource":`...)
	b = appendString(b, a.Resource)
	if a.Group != "" {
		b = append(b, `,"group":`...)
		b = appendString(b, a.Group)
	}
	b = append(b, `,"status":`...)
	b = appendString(b, a.Status)
	if a.Message != nil {
		b = append(b, `,"msg":`...)
		b = appendString(b, *a.Message)
	}
	return append(b, '}')
}

// AppendJSON appends a's JSON encoding to b: what json.Marshal gives,
// except that <, > and & are not escaped for HTML.
func (a *ControlArgs) AppendJSON(b []byte) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"tag":`...)
	b = appendString(b, a.Tag)
	b = append(b, `,"resource":`...)
	b = appendString(b, a.Resource)
	b = append(b, `,"group":`...)
	b = appendString(b, a.Group)
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

// Appender is a message with a hand-written encoder.
type Appender interface{ AppendJSON([]byte) []byte }

// Encode is json.Marshal, without reflection for an Appender.
func Encode(v any) ([]byte, error) {
	if a, ok := v.(Appender); ok {
		return a.AppendJSON(nil), nil
	}
	return json.Marshal(v)
}

// DecodeData decodes a message's arguments or data into out, as
// json.Unmarshal does.
func DecodeData(data []byte, out any) error {
	if decodeFast(data, out) {
		return nil
	}
	return json.Unmarshal(data, out)
}

// DecodeFast decodes data into out without reflection if out is one of
// the messages with a hand-written decoder and data holds only out's own
// fields, in plain form; otherwise it reports false and leaves out alone.
// When it reports true, encoding/json, even refusing unknown fields,
// would have given the same out: the remote API checks a get's arguments
// with it before its strict decoder.
func DecodeFast(data []byte, out any) bool { return decodeFast(data, out) }

// decodeFast decodes data into out, if out is one of the messages with a
// hand-written decoder and data is input it is sure about; otherwise it
// reports false and leaves out alone.
func decodeFast(data []byte, out any) bool {
	switch out := out.(type) {
	case *Request:
		return into(data, out, fastRequest)
	case *Reply:
		return into(data, out, fastReply)
	case *GetArgs:
		return into(data, out, fastGetArgs)
	case *GetReply:
		return into(data, out, fastGetReply)
	case *LifecycleReply:
		return into(data, out, fastLifecycleReply)
	case *WaitReply:
		return into(data, out, fastWaitReply)
	}
	return false
}

// into runs fast on a zero T and stores the result in out if it succeeds.
func into[T any](data []byte, out *T, fast func([]byte, *T) bool) bool {
	var v T
	if !Valid(data) || !fast(data, &v) {
		return false
	}
	*out = v
	return true
}

func fastRequest(line []byte, req *Request) bool {
	return fastObject(line, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "v":
			var n int64
			n, ok = fastInt(val)
			req.Version = int(n)
		case "id":
			req.ID, ok = fastUint(val)
		case "op":
			req.Op, ok = fastString(val)
		case "args":
			req.Args, ok = bytes.Clone(val), true
		}
		return ok
	})
}

func fastGetArgs(data []byte, a *GetArgs) bool {
	return fastObject(data, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "kind":
			a.Kind, ok = fastString(val)
		case "name":
			a.Name, ok = fastString(val)
		case "group":
			a.Group, ok = fastString(val)
		case "tag":
			a.Tag, ok = fastString(val)
		case "operands":
			a.Operands, ok = fastStrings(val)
		}
		return ok
	})
}

func fastReply(line []byte, rep *Reply) bool {
	return fastObject(line, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "v":
			var n int64
			n, ok = fastInt(val)
			rep.Version = int(n)
		case "id":
			rep.ID, ok = fastUint(val)
		case "code":
			var n int64
			n, ok = fastInt(val)
			rep.Code = scha.ErrCode(n)
		case "msg":
			rep.Message, ok = fastString(val)
		case "data":
			// As encoding/json's RawMessage: a copy, even of null.
			rep.Data, ok = bytes.Clone(val), true
		}
		return ok
	})
}

func fastGetReply(data []byte, g *GetReply) bool {
	return fastObject(data, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "type":
			var s string
			s, ok = fastString(val)
			g.Type = scha.ResultType(s)
		case "ext_type":
			g.ExtType, ok = fastString(val)
		case "values":
			g.Values, ok = fastStrings(val)
		case "seq":
			g.Seq, ok = fastUint(val)
		}
		return ok
	})
}

func fastLifecycleReply(data []byte, r *LifecycleReply) bool {
	return fastObject(data, func(key string, val []byte) bool {
		var ok bool
		if key == "groups" {
			r.Groups, ok = fastStrings(val)
		}
		return ok
	})
}

// The decoders of messages with arrays of objects take the fast path only
// without repeated keys: encoding/json decodes a repeated array into the
// elements the first one left, a merge not worth imitating.

func fastWaitReply(data []byte, r *WaitReply) bool {
	return fastObjectOnce(data, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "settled":
			r.Settled, ok = fastBool(val)
		case "groups":
			r.Groups, ok = fastArray(val, fastGroupStatus)
		}
		return ok
	})
}

func fastGroupStatus(data []byte, g *GroupStatus) bool {
	return fastObjectOnce(data, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "name":
			g.Name, ok = fastString(val)
		case "state":
			g.State, ok = fastString(val)
		case "resources":
			g.Resources, ok = fastArray(val, fastResourceStatus)
		case "desired":
			g.Desired, ok = fastString(val)
		case "suspended":
			g.Suspended, ok = fastBool(val)
		}
		return ok
	})
}

func fastResourceStatus(data []byte, r *ResourceStatus) bool {
	return fastObject(data, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "name":
			r.Name, ok = fastString(val)
		case "type":
			r.Type, ok = fastString(val)
		case "state":
			r.State, ok = fastString(val)
		case "status":
			r.Status, ok = fastString(val)
		case "status_msg":
			r.StatusMsg, ok = fastString(val)
		case "on_off":
			r.OnOff, ok = fastString(val)
		case "monitored":
			r.Monitored, ok = fastString(val)
		case "desired":
			r.Desired, ok = fastString(val)
		}
		return ok
	})
}

// fastObjectOnce is fastObject refusing an object with a repeated key.
func fastObjectOnce(in []byte, field func(key string, val []byte) bool) bool {
	seen := map[string]bool{}
	return fastObject(in, func(key string, val []byte) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return field(key, val)
	})
}

// fastArray decodes an array (or null), each element with elem into a
// zero T.
func fastArray[T any](val []byte, elem func([]byte, *T) bool) ([]T, bool) {
	if string(val) == "null" {
		return nil, true
	}
	if len(val) < 2 || val[0] != '[' {
		return nil, false
	}
	out := []T{}
	p := skipSpace(val, 1)
	if val[p] == ']' {
		return out, true
	}
	for p < len(val) {
		end := skipValue(val, p)
		var v T
		if !elem(val[p:end], &v) {
			return nil, false
		}
		out = append(out, v)
		p = skipSpace(val, end)
		if val[p] == ']' {
			return out, true
		}
		p = skipSpace(val, p+1)
	}
	return nil, false
}

func fastBool(val []byte) (bool, bool) {
	switch string(val) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// fastObject calls field for each member of the JSON object in (already
// known to be valid JSON), with the member's raw value. It reports false
// when in is not an object or when field does (an unknown key, a value
// the fast path does not handle).
func fastObject(in []byte, field func(key string, val []byte) bool) bool {
	p := skipSpace(in, 0)
	if p >= len(in) || in[p] != '{' {
		return false
	}
	p = skipSpace(in, p+1)
	if p < len(in) && in[p] == '}' {
		return true
	}
	for p < len(in) {
		end := skipValue(in, p)
		key, ok := fastString(in[p:end])
		if !ok {
			return false
		}
		p = skipSpace(in, end)
		p = skipSpace(in, p+1) // the colon
		end = skipValue(in, p)
		if !field(key, in[p:end]) {
			return false
		}
		p = skipSpace(in, end)
		if p < len(in) && in[p] == '}' {
			return true
		}
		p = skipSpace(in, p+1) // the comma
	}
	return false
}

// skipValue returns the end of the valid JSON value starting at in[p].
func skipValue(in []byte, p int) int {
	switch in[p] {
	case '"':
		for i := p + 1; i < len(in); i++ {
			switch in[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(in)
	case '{', '[':
		depth := 0
		for i := p; i < len(in); i++ {
			switch in[i] {
			case '"':
				i = skipValue(in, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(in)
	}
	i := p
	for i < len(in) {
		switch in[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

func skipSpace(in []byte, p int) int {
	for p < len(in) && (in[p] == ' ' || in[p] == '\t' || in[p] == '\r' || in[p] == '\n') {
		p++
	}
	return p
}

// fastString decodes a JSON string without escapes and of valid UTF-8.
func fastString(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return "", false
	}
	s := val[1 : len(val)-1]
	if bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

func fastStrings(val []byte) ([]string, bool) {
	return fastArray(val, func(v []byte, s *string) bool {
		var ok bool
		*s, ok = fastString(v)
		return ok
	})
}

func fastInt(val []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(val), 10, 64)
	return n, err == nil && !bytes.HasPrefix(val, []byte("+"))
}

func fastUint(val []byte) (uint64, bool) {
	n, err := strconv.ParseUint(string(val), 10, 64)
	return n, err == nil && !bytes.HasPrefix(val, []byte("+"))
}
