package api

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/trust"
	"github.com/openrgm/openrgm/pkg/wire"
)

// TestOpenAPIMatchesHandlers: openapi.json describes exactly the routes
// the handler serves, each with the op it runs and the role it needs.
func TestOpenAPIMatchesHandlers(t *testing.T) {
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Op   string `json:"x-openrgm-op"`
			Role string `json:"x-openrgm-role"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, methods := range doc.Paths {
		for method, d := range methods {
			key := strings.ToUpper(method) + " " + path
			described[key] = true
			var rt *route
			for i := range routes {
				if routes[i].method+" "+routes[i].path == key {
					rt = &routes[i]
				}
			}
			if rt == nil {
				t.Errorf("openapi.json describes %s, which the API does not serve", key)
				continue
			}
			op := rt.op
			if d.Op != op {
				t.Errorf("%s: openapi.json says op %q, the handler runs %q", key, d.Op, op)
			}
			if op != "" && d.Role != string(RoleFor(op)) {
				t.Errorf("%s: openapi.json says role %q, the handler needs %q", key, d.Role, RoleFor(op))
			}
		}
	}
	for _, rt := range routes {
		if !described[rt.method+" "+rt.path] {
			t.Errorf("the API serves %s %s, which openapi.json does not describe", rt.method, rt.path)
		}
	}
	if !sort.SliceIsSorted(routes, func(i, j int) bool { return routes[i].path < routes[j].path }) {
		t.Error("routes are not sorted by path")
	}
}

func TestAllowed(t *testing.T) {
	for _, c := range []struct {
		role trust.Role
		op   string
		ok   bool
	}{
		{trust.RoleViewer, wire.OpStatus, true},
		{trust.RoleViewer, wire.OpEvents, true},
		{trust.RoleViewer, wire.OpRGWait, true},
		{trust.RoleViewer, wire.OpRGOffline, false},
		{trust.RoleOperator, wire.OpRGOffline, true},
		{trust.RoleOperator, wire.OpRGSwitch, true},
		{trust.RoleOperator, wire.OpRSClear, true},
		{trust.RoleOperator, wire.OpNodeEvac, true},
		{trust.RoleOperator, wire.OpRGRemaster, true},
		{trust.RoleOperator, wire.OpNodeFence, false},
		{trust.RoleOperator, wire.OpRGManage, false},
		{trust.RoleOperator, wire.OpRGCreate, false},
		{trust.RoleOperator, wire.OpCredIssue, false},
		{trust.RoleAdmin, wire.OpCredIssue, true},
		{trust.RoleAdmin, wire.OpRTRegister, true},
		{trust.RoleAdmin, "some.future.op", true},
		{trust.RoleOperator, "some.future.op", false},
		{trust.Role("root"), wire.OpStatus, false},
		{trust.RoleAdmin, wire.OpPMFStart, false},
		{trust.RoleViewer, wire.OpPMFList, true},
	} {
		if got := Allowed(c.role, c.op); got != c.ok {
			t.Errorf("Allowed(%s, %s) = %v, want %v", c.role, c.op, got, c.ok)
		}
	}
}

func TestParseEventID(t *testing.T) {
	for _, c := range []struct {
		in    string
		epoch string
		n     uint64
		bad   bool
	}{
		{"8812", "", 8812, false},
		{"abc123.7", "abc123", 7, false},
		{"x.", "", 0, true},
		{"-1", "", 0, true},
		{"", "", 0, true},
	} {
		e, n, err := parseEventID(c.in)
		if (err != nil) != c.bad || e != c.epoch || n != c.n {
			t.Errorf("parseEventID(%q) = %q, %d, %v", c.in, e, n, err)
		}
	}
}

func TestCheckArgs(t *testing.T) {
	for _, c := range []struct {
		op, body string
		bad      bool
	}{
		{wire.OpRGCreate, `{"name":"a"}`, false},
		{wire.OpRGCreate, `{"name":"a","x":1}`, true},
		{wire.OpRGCreate, `{"name":`, true},
		{wire.OpRGCreate, ``, false},
		{"future.op", `{"anything":1}`, false},
		{"future.op", `nope`, true},
	} {
		_, err := checkArgs(c.op, []byte(c.body))
		if (err != nil) != c.bad {
			t.Errorf("checkArgs(%s, %s): %v", c.op, c.body, err)
		}
	}
}

func FuzzCheckArgs(f *testing.F) {
	f.Add(wire.OpRGCreate, []byte(`{"name":"a","props":{"Nodelist":"n1"}}`))
	f.Add(wire.OpRGWait, []byte(`{"groups":["a"],"timeout_ms":5}`))
	f.Add("future.op", []byte(`[1,2`))
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		args, err := checkArgs(op, body)
		if err == nil && len(args) > 0 && !json.Valid(args) {
			t.Fatalf("accepted invalid JSON %q", args)
		}
	})
}

func FuzzParseEventID(f *testing.F) {
	f.Add("8812")
	f.Add("e0ab0cc07014.3")
	f.Fuzz(func(t *testing.T, s string) {
		epoch, n, err := parseEventID(s)
		if err == nil && eventID(wire.Event{Epoch: epoch, Seq: n}) == "" {
			t.Fatal("empty id")
		}
	})
}
