//go:build linux

package daemon_test

import (
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/openrgm/openrgm/pkg/rgmtest"
)

func TestDBus(t *testing.T) {
	addr := rgmtest.PrivateBus(t)
	d := rgmtest.StartDaemon(t, "--dbus", addr)

	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.AddMatchSignal(dbus.WithMatchSender("org.openrgm.RGM1")); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan *dbus.Signal, 100)
	conn.Signal(sigs)

	root := conn.Object("org.openrgm.RGM1", "/org/openrgm/RGM1")
	var node string
	// rgmd has answered on its socket, but the name is taken just after.
	for i := 0; ; i++ {
		v, err := root.GetProperty("org.openrgm.RGM1.Cluster.Node")
		if err == nil {
			node, _ = v.Value().(string)
			break
		}
		if i > 100 {
			t.Fatalf("Cluster.Node: %v\n%s", err, d.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if node != d.Node {
		t.Errorf("Node = %q, want %q", node, d.Node)
	}
	if v, err := root.GetProperty("org.openrgm.RGM1.Cluster.Name"); err != nil || v.Value() != "openrgm" {
		t.Errorf("Name = %v, %v", v, err)
	}
	if err := root.Call("org.freedesktop.DBus.Properties.Set", 0, "org.openrgm.RGM1.Cluster", "Name", dbus.MakeVariant("x")).Err; err == nil {
		t.Error("Set succeeded on a read-only property")
	}

	setup(t, d) // the hello type, web-rg and web-rs
	waitSignal(t, sigs, func(s *dbus.Signal) bool {
		return s.Name == "org.openrgm.RGM1.Cluster.Event" && len(s.Body) == 10 && s.Body[1] == "config" && s.Body[2] == "resource" && s.Body[3] == "web-rs"
	})

	res := conn.Object("org.openrgm.RGM1", "/org/openrgm/RGM1/resource/web_2drs")
	var props map[string]dbus.Variant
	if err := res.Call("org.freedesktop.DBus.Properties.GetAll", 0, "org.openrgm.RGM1.Resource").Store(&props); err != nil {
		t.Fatal(err)
	}
	if props["GroupName"].Value() != "web-rg" || props["Group"].Value() != dbus.ObjectPath("/org/openrgm/RGM1/group/web_2drg") || !strings.HasPrefix(props["Type"].Value().(string), "ORGM.hello") {
		t.Errorf("resource properties: %v", props)
	}

	d.MustRun("scha_resource_setstatus", "-R", "web-rs", "-G", "web-rg", "-s", "DEGRADED", "-m", "slow disk")
	waitSignal(t, sigs, func(s *dbus.Signal) bool {
		if s.Name != "org.freedesktop.DBus.Properties.PropertiesChanged" || s.Path != "/org/openrgm/RGM1/resource/web_2drs" || len(s.Body) != 3 {
			return false
		}
		ch, _ := s.Body[1].(map[string]dbus.Variant)
		return ch["Status"].Value() == "DEGRADED" && ch["StatusMsg"].Value() == "slow disk"
	})

	var xml string
	if err := root.Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&xml); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<node name="group">`, `<node name="resource">`, `interface name="org.openrgm.RGM1.Cluster"`, `signal name="Event"`} {
		if !strings.Contains(xml, want) {
			t.Errorf("root introspection lacks %s:\n%s", want, xml)
		}
	}
	if err := conn.Object("org.openrgm.RGM1", "/org/openrgm/RGM1/group").Call("org.freedesktop.DBus.Introspectable.Introspect", 0).Store(&xml); err != nil || !strings.Contains(xml, `<node name="web_2drg">`) {
		t.Errorf("group directory introspection: %v\n%s", err, xml)
	}
}

func waitSignal(t *testing.T, sigs chan *dbus.Signal, match func(*dbus.Signal) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	var seen []string
	for {
		select {
		case s := <-sigs:
			if match(s) {
				return
			}
			seen = append(seen, s.Name+" "+string(s.Path))
		case <-deadline:
			t.Fatalf("expected signal not received; saw %q", seen)
		}
	}
}
