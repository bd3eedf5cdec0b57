// Package man_test checks that the hand-written property pages agree with
// the property tables in pkg/model: every standard property is documented
// with its type, default and tunability.
package man_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
)

// entry returns the text of the .TP entry for name in page, up to the
// next macro line that starts another entry or section.
func entry(t *testing.T, page, name string) string {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\.TP\n\.B ` + regexp.QuoteMeta(name) + `\n((?:[^.].*\n)+)`)
	m := re.FindStringSubmatch(string(b))
	if m == nil {
		t.Errorf("%s does not document %s", page, name)
		return ""
	}
	return m[1]
}

func check(t *testing.T, page string, d model.PropDecl, settable string) {
	t.Helper()
	e := entry(t, page, d.Name)
	if e == "" {
		return
	}
	if !strings.Contains(e, `\fB`+d.Type.String()+`\fR`) {
		t.Errorf("%s: %s: type %s not stated in %q", page, d.Name, d.Type, e)
	}
	switch {
	case d.Default != nil && *d.Default == "":
		if !strings.Contains(e, "default empty") {
			t.Errorf("%s: %s: empty default not stated in %q", page, d.Name, e)
		}
	case d.Default != nil:
		if !strings.Contains(e, `default \fB`+strings.ReplaceAll(*d.Default, "-", `\-`)+`\fR`) {
			t.Errorf("%s: %s: default %s not stated in %q", page, d.Name, *d.Default, e)
		}
	}
	if !strings.Contains(e, settable) {
		t.Errorf("%s: %s: %q not stated in %q", page, d.Name, settable, e)
	}
}

func tunability(d model.PropDecl) string {
	if d.QueryOnly {
		return `query\-only`
	}
	return `tunable \fB` + d.Tunable.String() + `\fR`
}

func TestRGProperties(t *testing.T) {
	for _, d := range model.RGProps() {
		check(t, "man5/rg_properties.5", d, tunability(d))
	}
}

func TestRTProperties(t *testing.T) {
	for _, d := range model.RTProps() {
		s := "set in the RTR file"
		switch {
		case d.QueryOnly:
			s = `query\-only`
		case d.Tunable == model.TunableAnytime:
			s = "set by the administrator"
		}
		check(t, "man5/rt_properties.5", d, s)
	}
}

func TestResourceProperties(t *testing.T) {
	b, err := os.ReadFile("man5/r_properties.5")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\.B ([A-Z][A-Za-z_]+)$`).FindAllStringSubmatch(string(b), -1) {
		d, _, ok := model.LookupResourceProp(m[1])
		if !ok {
			continue // per-node state and the like
		}
		check(t, "man5/r_properties.5", d, tunability(d))
	}
	for _, name := range []string{"Failover_mode", "Retry_count", "Port_list", "Start_timeout", "Monitor_check_timeout", "Resource_dependencies_offline_restart"} {
		d, _, _ := model.LookupResourceProp(name)
		check(t, "man5/r_properties.5", d, tunability(d))
	}
}
