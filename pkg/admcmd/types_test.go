package admcmd

import (
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/rtr"
)

const sampleMeta = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="sample" version="1.1">
<version>1.1</version>
<shortdesc lang="en">A "sample" agent</shortdesc>
<parameters>
<parameter name="ip" unique="1" required="1">
<shortdesc lang="en">Address</shortdesc>
<content type="string" default="" />
</parameter>
<parameter name="count"><content type="integer" default="5"/></parameter>
<parameter name="nodefault"><content type="integer"/></parameter>
<parameter name="flag"><content type="boolean" default="false"/></parameter>
<parameter name="mode"><content type="select" default="fast"><option value="fast"/><option value="safe"/></content></parameter>
<parameter name="odd"><content type="select"><option value="a b"/></content></parameter>
</parameters>
<actions>
<action name="start" timeout="30s"/>
<action name="stop" timeout="2m"/>
<action name="monitor" timeout="15" interval="20s"/>
<action name="monitor" role="Promoted" timeout="9s" interval="5s"/>
<action name="validate-all" timeout="5s"/>
</actions>
</resource-agent>
`

func TestOCFRTR(t *testing.T) {
	m, err := parseOCFMeta([]byte(sampleMeta))
	if err != nil {
		t.Fatal(err)
	}
	text, err := ocfRTR("acme", "sample", "/usr/lib/ocf/resource.d/acme", "/usr/lib/openrgm/callbacks/ocf", m)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := rtr.Load("sample", []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if rt.Name != "OCF.acme_sample" || rt.Props["RT_basedir"] != "/usr/lib/ocf/resource.d/acme" || rt.Props["Monitor_start"] != "/usr/lib/openrgm/callbacks/ocf/ocf_monitor_start" {
		t.Errorf("type: %s %v", rt.Name, rt.Props)
	}
	want := map[string]struct {
		typ model.PropType
		def string // "-" for none
	}{
		"ip":                      {model.TypeString, "-"},
		"count":                   {model.TypeInt, "5"},
		"nodefault":               {model.TypeString, ""},
		"flag":                    {model.TypeBoolean, "FALSE"},
		"mode":                    {model.TypeEnum, "fast"},
		"odd":                     {model.TypeString, ""},
		"Probe_timeout":           {model.TypeInt, "15"},
		"Start_timeout":           {model.TypeInt, "30"},
		"Stop_timeout":            {model.TypeInt, "120"},
		"Validate_timeout":        {model.TypeInt, "20"},
		"Thorough_probe_interval": {model.TypeInt, "20"},
	}
	for name, w := range want {
		d, ok := rt.Param(name)
		if !ok {
			t.Errorf("no property %s", name)
			continue
		}
		def := "-"
		if d.Default != nil {
			def = *d.Default
		}
		if d.Type != w.typ || def != w.def {
			t.Errorf("%s: %s default %q, want %s default %q", name, d.Type, def, w.typ, w.def)
		}
	}
	if d, _ := rt.Param("ip"); !strings.HasSuffix(d.Description, "[unique]") {
		t.Errorf("ip is not marked unique: %q", d.Description)
	}
}

func TestOCFMetaRefused(t *testing.T) {
	for name, meta := range map[string]string{
		"not xml":    "hello",
		"truncated":  `<resource-agent name="x"><parameters>`,
		"no start":   `<resource-agent name="x"><actions><action name="stop"/></actions></resource-agent>`,
		"bad name":   `<resource-agent name="x"><parameters><parameter name="a-b"/></parameters><actions><action name="start"/><action name="stop"/></actions></resource-agent>`,
		"std name":   `<resource-agent name="x"><parameters><parameter name="stop_timeout"/></parameters><actions><action name="start"/><action name="stop"/></actions></resource-agent>`,
		"twice":      `<resource-agent name="x"><parameters><parameter name="a"/><parameter name="A"/></parameters><actions><action name="start"/><action name="stop"/></actions></resource-agent>`,
		"other root": `<html/>`,
	} {
		if _, err := parseOCFMeta([]byte(meta)); err == nil || !strings.Contains(err.Error(), "bad meta-data") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestOCFSeconds(t *testing.T) {
	for in, want := range map[string]int{"20s": 20, "2m": 120, "1h": 3600, "90": 90, "500ms": 1, "": 7, "x": 7, "1.5min": 90} {
		if got := ocfSeconds(in, 7); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}

// FuzzOCFMeta: whatever an agent prints, import-ocf refuses it or makes
// an RTR file that parses; it never panics.
func FuzzOCFMeta(f *testing.F) {
	f.Add([]byte(sampleMeta))
	f.Add([]byte(`<resource-agent name="x"><actions><action name="start"/><action name="stop"/></actions></resource-agent>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseOCFMeta(data)
		if err != nil {
			return
		}
		text, err := ocfRTR("p", "a", "/o/resource.d/p", "/m", m)
		if err != nil {
			return
		}
		if _, err := rtr.Load("fuzz", []byte(text)); err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
	})
}
