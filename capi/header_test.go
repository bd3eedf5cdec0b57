package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
)

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// enumBody returns the members of `typedef enum ... { ... } typ;` in scha.h.
func enumBody(t *testing.T, h, typ string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)typedef enum [a-z_]*\s*\{([^}]*)\}\s*` + typ + `;`).FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("scha.h has no enum %s", typ)
	}
	body := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(m[1], "")
	var names []string
	for _, f := range strings.Split(body, ",") {
		if f = strings.TrimSpace(f); f != "" {
			names = append(names, f)
		}
	}
	return names
}

// TestHeaderErrors checks scha_err_t against pkg/scha: every code, its
// symbol and its number.
func TestHeaderErrors(t *testing.T) {
	h := readFile(t, "scha.h")
	members := enumBody(t, h, "scha_err_t")
	if len(members) != int(scha.MaxErrCode)+1 {
		t.Fatalf("scha_err_t has %d members, pkg/scha %d codes", len(members), scha.MaxErrCode+1)
	}
	for i, m := range members {
		name, num, ok := strings.Cut(m, "=")
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if !ok || err != nil {
			t.Errorf("scha_err_t member %q has no explicit number", m)
			continue
		}
		if code := scha.ErrCode(n); n != i || code.Symbol() != strings.TrimSpace(name) {
			t.Errorf("scha.h: %s = %d; pkg/scha: %s = %d", strings.TrimSpace(name), n, scha.ErrCode(i).Symbol(), i)
		}
	}
}

// TestHeaderEnums checks each C enum's members and order against the Go
// tables that turn the daemon's strings into C numbers.
func TestHeaderEnums(t *testing.T) {
	h := readFile(t, "scha.h")
	for _, c := range []struct {
		typ, prefix string
		values      []string
	}{
		{"scha_rsstate_t", "SCHA_RSSTATE_", rsStates},
		{"scha_rgstate_t", "SCHA_RGSTATE_", rgStates},
		{"scha_switch_t", "SCHA_SWITCH_", switches},
		{"scha_rgmode_t", "RGMODE_", rgModes},
		{"scha_failover_mode_t", "SCHA_FOMODE_", failoverModes},
		{"scha_initnodes_flag_t", "SCHA_INFLAG_", initNodes},
		{"scha_node_state_t", "SCHA_NODE_", nodeStates},
		{"scha_rsstatus_t", "SCHA_RSSTATUS_", statuses},
		{"scha_prop_type_t", "SCHA_PTYPE_", propTypes},
		{"boolean_t", "B_", []string{scha.False, scha.True}},
	} {
		members := enumBody(t, h, c.typ)
		var want []string
		for i, v := range c.values {
			w := c.prefix + strings.ToUpper(v)
			if i == 0 {
				w += " = 0"
			}
			want = append(want, w)
		}
		if c.typ == "boolean_t" {
			want[1] += " = 1"
		}
		if !slices.Equal(members, want) {
			t.Errorf("%s:\n  scha.h: %q\n  Go:     %q", c.typ, members, want)
		}
	}
	// The status keywords are pkg/scha's, in scha_rsstatus_t order.
	if !slices.Equal(statuses, []string{"OK", "OFFLINE", "FAULTED", "DEGRADED", "UNKNOWN"}) {
		t.Errorf("scha.Statuses() = %q, not in scha_rsstatus_t order", statuses)
	}
}

// TestHeaderTags checks that scha.h has a macro for every optag of every
// kind and every scha_control tag, spelled as the optag, and nothing else.
func TestHeaderTags(t *testing.T) {
	h := readFile(t, "scha.h")
	defined := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define (SCHA_[A-Z_]+)\s+"([^"]*)"`).FindAllStringSubmatch(h, -1) {
		defined[m[1]] = m[2]
	}
	want := map[string]bool{}
	for _, kind := range kindNames {
		for _, tag := range scha.Tags(kind) {
			want[tag.Name] = true
		}
	}
	for _, c := range scha.ControlTags() {
		want[c] = true
	}
	for name := range want {
		if v, ok := defined["SCHA_"+name]; !ok || v != name {
			t.Errorf("scha.h: SCHA_%s = %q, want %q", name, v, name)
		}
	}
	for macro, v := range defined {
		if "SCHA_"+v != macro {
			t.Errorf("scha.h: %s is %q, not its own optag", macro, v)
		}
		if want[v] {
			continue
		}
		if _, qualified, ok := lookupTag(kindResource, v); !ok || !qualified {
			t.Errorf("scha.h: %s is no tag that libscha knows", macro)
		}
	}
}

// headerFunctions returns the functions scha.h declares.
func headerFunctions(t *testing.T) []string {
	h := readFile(t, "scha.h")
	var fns []string
	for _, m := range regexp.MustCompile(`(?m)^extern [a-z_]+ \*?(scha_[a-z_0-9]+)\(`).FindAllStringSubmatch(h, -1) {
		fns = append(fns, m[1])
	}
	if len(fns) < 29 {
		t.Fatalf("scha.h declares only %d functions", len(fns))
	}
	return fns
}

// TestHeaderFunctions checks that the shim defines every declared function
// and that each has a man page in section 3.
func TestHeaderFunctions(t *testing.T) {
	shim := readFile(t, "scha_shim.c")
	for _, fn := range headerFunctions(t) {
		if !regexp.MustCompile(`(?m)^` + fn + `\(`).MatchString(shim) {
			t.Errorf("scha_shim.c does not define %s", fn)
		}
		page := filepath.Join("..", "man", "man3", fn+".3")
		if _, err := os.Stat(page); err != nil {
			t.Errorf("%s has no man page: %v", fn, err)
		}
	}
}
