package daemon

import (
	"context"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/wire"
)

// The D-Bus interface (rgmd --dbus): the notification port the Windows
// ClusAPI offers, for desktop and monitoring tools that speak D-Bus rather
// than our socket protocol. Everything is read-only, computed from the
// configuration at each call, so nothing here can drift from the store.
const (
	dbusName     = "org.openrgm.RGM1"
	dbusRoot     = dbus.ObjectPath("/org/openrgm/RGM1")
	dbusIface    = "org.openrgm.RGM1.Cluster"
	dbusGroupIf  = "org.openrgm.RGM1.Group"
	dbusResIf    = "org.openrgm.RGM1.Resource"
	dbusPropsIf  = "org.freedesktop.DBus.Properties"
	dbusIntroIf  = "org.freedesktop.DBus.Introspectable"
	dbusGroupDir = dbusRoot + "/group"
	dbusResDir   = dbusRoot + "/resource"
)

// dbusExport serves rgmd's objects on one bus connection.
type dbusExport struct {
	d    *Daemon
	conn *dbus.Conn
}

// startDBus connects to the bus --dbus names, owns org.openrgm.RGM1 and
// turns events into signals until the returned function is called. A bus
// that cannot be reached is logged and otherwise ignored: the cluster
// matters more than its notification port.
func (d *Daemon) startDBus(ctx context.Context) (stop func()) {
	bus := d.opts.DBus
	log := d.opts.Logger
	if bus == "" || bus == "none" {
		return func() {}
	}
	conn, err := connectBus(bus)
	if err != nil {
		log.Error("D-Bus: cannot connect; running without it", "bus", bus, "err", err)
		return func() {}
	}
	x := &dbusExport{d: d, conn: conn}
	if err := x.export(); err != nil {
		conn.Close()
		log.Error("D-Bus: running without it", "bus", bus, "err", err)
		return func() {}
	}
	events, unsubscribe := d.events.Subscribe(256, nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for e := range events {
			x.signal(e)
		}
	}()
	log.Info("D-Bus: serving", "bus", bus, "name", dbusName, "path", string(dbusRoot))
	return func() {
		unsubscribe()
		wg.Wait()
		conn.Close()
	}
}

// connectBus connects to "system", "session" or a D-Bus address.
func connectBus(bus string) (*dbus.Conn, error) {
	switch bus {
	case "system":
		return dbus.ConnectSystemBus()
	case "session":
		return dbus.ConnectSessionBus()
	}
	if !strings.Contains(bus, ":") {
		return nil, fmt.Errorf("--dbus must be system, session, none or a bus address, not %q", bus)
	}
	return dbus.Connect(bus)
}

func (x *dbusExport) export() error {
	if err := x.conn.ExportSubtree(dbusProps{x}, dbusRoot, dbusPropsIf); err != nil {
		return err
	}
	if err := x.conn.ExportSubtree(dbusIntro{x}, dbusRoot, dbusIntroIf); err != nil {
		return err
	}
	reply, err := x.conn.RequestName(dbusName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("requesting %s: %w", dbusName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("%s is owned by another process", dbusName)
	}
	return nil
}

// BusLabel escapes name for one element of an object path as systemd does
// (sd_bus_path_encode): ASCII letters and digits stay, every other byte
// becomes _ and two lower-case hex digits, and "" becomes "_".
func BusLabel(name string) string {
	if name == "" {
		return "_"
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

func groupPath(name string) dbus.ObjectPath {
	return dbusGroupDir + "/" + dbus.ObjectPath(BusLabel(name))
}
func resourcePath(name string) dbus.ObjectPath {
	return dbusResDir + "/" + dbus.ObjectPath(BusLabel(name))
}

// object returns the interface and properties of the object at path, or
// ok false when there is none.
func (x *dbusExport) object(path dbus.ObjectPath) (iface string, props map[string]dbus.Variant, ok bool) {
	node := x.d.opts.NodeName
	x.d.machine.Read(func(c *model.Config) {
		switch {
		case path == dbusRoot:
			iface, ok = dbusIface, true
			var groups, resources []dbus.ObjectPath
			for _, g := range sortedNames(c.Groups) {
				groups = append(groups, groupPath(g))
			}
			for _, r := range sortedNames(c.Resources) {
				resources = append(resources, resourcePath(r))
			}
			props = map[string]dbus.Variant{
				"Name":      dbus.MakeVariant(c.ClusterName),
				"Node":      dbus.MakeVariant(node),
				"Nodes":     dbus.MakeVariant(nonNil(c.NodeNames())),
				"Groups":    dbus.MakeVariant(nonNilPaths(groups)),
				"Resources": dbus.MakeVariant(nonNilPaths(resources)),
			}
		case strings.HasPrefix(string(path), string(dbusGroupDir)+"/"):
			for name, g := range c.Groups {
				if groupPath(name) != path {
					continue
				}
				state := ""
				if n := g.Nodes[node]; n != nil {
					state = n.State
				}
				var rs []dbus.ObjectPath
				for _, r := range c.ResourcesOf(name) {
					rs = append(rs, resourcePath(r))
				}
				iface, ok = dbusGroupIf, true
				props = map[string]dbus.Variant{
					"Name":      dbus.MakeVariant(name),
					"State":     dbus.MakeVariant(state),
					"Nodelist":  dbus.MakeVariant(nonNil(model.SplitArray(g.Props["Nodelist"]))),
					"Resources": dbus.MakeVariant(nonNilPaths(rs)),
				}
			}
		case strings.HasPrefix(string(path), string(dbusResDir)+"/"):
			for name, r := range c.Resources {
				if resourcePath(name) != path {
					continue
				}
				var n model.RNode
				if rn := r.Nodes[node]; rn != nil {
					n = *rn
				}
				iface, ok = dbusResIf, true
				props = map[string]dbus.Variant{
					"Name":      dbus.MakeVariant(name),
					"Group":     dbus.MakeVariant(groupPath(r.Group)),
					"GroupName": dbus.MakeVariant(r.Group),
					"Type":      dbus.MakeVariant(r.Type),
					"State":     dbus.MakeVariant(n.State),
					"Status":    dbus.MakeVariant(n.Status),
					"StatusMsg": dbus.MakeVariant(n.StatusMsg),
					"OnOff":     dbus.MakeVariant(n.OnOff),
					"Monitored": dbus.MakeVariant(n.Monitored),
				}
			}
		}
	})
	return iface, props, ok
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// nonNil and nonNilPaths: godbus cannot infer the signature of a nil slice
// inside a variant, so empty lists are sent as empty, not nil.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilPaths(s []dbus.ObjectPath) []dbus.ObjectPath {
	if s == nil {
		return []dbus.ObjectPath{}
	}
	return s
}

// signal emits the Event signal for e, and PropertiesChanged for the
// object it changed and, when objects come and go, for the cluster.
func (x *dbusExport) signal(e wire.Event) {
	log := x.d.opts.Logger
	if err := x.conn.Emit(dbusRoot, dbusIface+".Event", e.Seq, e.Kind, e.Object, e.Name, e.Group, e.Node, e.Change, e.State, e.Status, e.StatusMsg); err != nil {
		log.Debug("D-Bus: emitting Event", "err", err)
	}
	var paths []dbus.ObjectPath
	switch e.Object {
	case wire.KindResource:
		paths = append(paths, resourcePath(e.Name))
	case wire.KindResourceGroup:
		paths = append(paths, groupPath(e.Name))
	}
	if e.Kind == wire.EventConfig || e.Object == "cluster" {
		paths = append(paths, dbusRoot)
		if e.Object == wire.KindResource && e.Group != "" {
			paths = append(paths, groupPath(e.Group))
		}
	}
	for _, p := range paths {
		iface, props, ok := x.object(p)
		if !ok {
			continue // deleted: its Event and the cluster's Groups/Resources say so
		}
		if err := x.conn.Emit(p, dbusPropsIf+".PropertiesChanged", iface, props, []string{}); err != nil {
			log.Debug("D-Bus: emitting PropertiesChanged", "path", string(p), "err", err)
		}
	}
}

// dbusProps is org.freedesktop.DBus.Properties for every object of the
// subtree; the message tells which object is asked.
type dbusProps struct{ x *dbusExport }

func pathOf(m dbus.Message) dbus.ObjectPath {
	p, _ := m.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	return p
}

func (p dbusProps) GetAll(m dbus.Message, iface string) (map[string]dbus.Variant, *dbus.Error) {
	have, props, ok := p.x.object(pathOf(m))
	if !ok {
		return nil, dbus.NewError("org.freedesktop.DBus.Error.UnknownObject", []any{"no object at " + string(pathOf(m))})
	}
	if iface != have && iface != "" {
		return map[string]dbus.Variant{}, nil
	}
	return props, nil
}

func (p dbusProps) Get(m dbus.Message, iface, name string) (dbus.Variant, *dbus.Error) {
	props, err := p.GetAll(m, iface)
	if err != nil {
		return dbus.Variant{}, err
	}
	v, ok := props[name]
	if !ok {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{fmt.Sprintf("%s has no property %s", iface, name)})
	}
	return v, nil
}

func (p dbusProps) Set(m dbus.Message, iface, name string, _ dbus.Variant) *dbus.Error {
	return dbus.NewError("org.freedesktop.DBus.Error.PropertyReadOnly", []any{"rgmd's D-Bus properties are read-only; use rgmadm"})
}

// dbusIntro is org.freedesktop.DBus.Introspectable for the subtree.
type dbusIntro struct{ x *dbusExport }

var (
	stdIfaces = []introspect.Interface{
		introspect.IntrospectData,
		{Name: dbusPropsIf, Methods: []introspect.Method{
			{Name: "Get", Args: []introspect.Arg{{Name: "interface", Type: "s", Direction: "in"}, {Name: "name", Type: "s", Direction: "in"}, {Name: "value", Type: "v", Direction: "out"}}},
			{Name: "GetAll", Args: []introspect.Arg{{Name: "interface", Type: "s", Direction: "in"}, {Name: "props", Type: "a{sv}", Direction: "out"}}},
			{Name: "Set", Args: []introspect.Arg{{Name: "interface", Type: "s", Direction: "in"}, {Name: "name", Type: "s", Direction: "in"}, {Name: "value", Type: "v", Direction: "in"}}},
		}, Signals: []introspect.Signal{
			{Name: "PropertiesChanged", Args: []introspect.Arg{{Name: "interface", Type: "s"}, {Name: "changed", Type: "a{sv}"}, {Name: "invalidated", Type: "as"}}},
		}},
	}
	ifaceDocs = map[string]introspect.Interface{
		dbusIface: {Name: dbusIface, Properties: roProps("Name:s", "Node:s", "Nodes:as", "Groups:ao", "Resources:ao"),
			Signals: []introspect.Signal{{Name: "Event", Args: []introspect.Arg{
				{Name: "seq", Type: "t"}, {Name: "kind", Type: "s"}, {Name: "object", Type: "s"}, {Name: "name", Type: "s"}, {Name: "group", Type: "s"},
				{Name: "node", Type: "s"}, {Name: "change", Type: "s"}, {Name: "state", Type: "s"}, {Name: "status", Type: "s"}, {Name: "status_msg", Type: "s"},
			}}}},
		dbusGroupIf: {Name: dbusGroupIf, Properties: roProps("Name:s", "State:s", "Nodelist:as", "Resources:ao")},
		dbusResIf:   {Name: dbusResIf, Properties: roProps("Name:s", "Group:o", "GroupName:s", "Type:s", "State:s", "Status:s", "StatusMsg:s", "OnOff:s", "Monitored:s")},
	}
)

func roProps(specs ...string) []introspect.Property {
	var out []introspect.Property
	for _, s := range specs {
		name, typ, _ := strings.Cut(s, ":")
		out = append(out, introspect.Property{Name: name, Type: typ, Access: "read"})
	}
	return out
}

func (i dbusIntro) Introspect(m dbus.Message) (string, *dbus.Error) {
	path := pathOf(m)
	node := introspect.Node{Name: string(path)}
	var children []string
	switch path {
	case dbusRoot:
		children = []string{"group", "resource"}
	case dbusGroupDir, dbusResDir:
		i.x.d.machine.Read(func(c *model.Config) {
			names := sortedNames(c.Resources)
			if path == dbusGroupDir {
				names = sortedNames(c.Groups)
			}
			for _, n := range names {
				children = append(children, BusLabel(n))
			}
		})
	}
	if path == dbusGroupDir || path == dbusResDir {
		node.Interfaces = []introspect.Interface{introspect.IntrospectData}
	} else {
		iface, _, ok := i.x.object(path)
		if !ok {
			return "", dbus.NewError("org.freedesktop.DBus.Error.UnknownObject", []any{"no object at " + string(path)})
		}
		node.Interfaces = append(append([]introspect.Interface(nil), stdIfaces...), ifaceDocs[iface])
	}
	for _, c := range children {
		node.Children = append(node.Children, introspect.Node{Name: c})
	}
	b, err := xml.MarshalIndent(node, "", "  ")
	if err != nil {
		return "", dbus.MakeFailedError(err)
	}
	return introspect.IntrospectDeclarationString + string(b), nil
}
