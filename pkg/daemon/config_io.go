package daemon

import (
	"context"
	"encoding/json"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/rtr"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/store"
	"github.com/openrgm/openrgm/pkg/wire"
)

// config.export and config.import: the whole configuration as a file
// (rgmadm export, rgmadm import).
func init() {
	moreHandlers = append(moreHandlers, func(d *Daemon) map[string]Handler {
		return map[string]Handler{
			wire.OpConfigExport: d.configExport,
			wire.OpConfigImport: d.configImport,
		}
	})
}

func (d *Daemon) configExport(context.Context, Peer, json.RawMessage) (any, error) {
	var f *wire.ConfigFile
	d.machine.Read(func(c *model.Config) { f = exportConfig(c, d.opts.NodeName) })
	return f, nil
}

// exportConfig writes what an administrator chose: properties that differ
// from their defaults (and those without one), a Nodelist only when it is
// not every node, switches as they are on node (or, for a resource not on
// node, on its group's first node). Groups and resources come after those
// they depend on.
func exportConfig(c *model.Config, node string) *wire.ConfigFile {
	f := &wire.ConfigFile{Format: wire.ConfigFormat, Cluster: c.ClusterName,
		Types: []wire.ConfigType{}, Groups: []wire.ConfigGroup{}, Resources: []wire.ConfigResource{}}
	for _, rt := range sortedValues(c.Types) {
		t := wire.ConfigType{Name: rt.Name, RTRFile: rt.SourceFile}
		for k, v := range rt.Props {
			if d, ok := model.LookupRTProp(k); ok && d.Tunable == model.TunableAnytime && !isDefault(d, v) {
				if t.Props == nil {
					t.Props = map[string]string{}
				}
				t.Props[d.Name] = v
			}
		}
		f.Types = append(f.Types, t)
	}
	allNodes := strings.Join(c.NodeNames(), ",")
	for _, name := range groupOrder(slices.Sorted(maps.Keys(c.Groups)), func(n string) map[string]string { return c.Groups[n].Props }) {
		g := c.Groups[name]
		eg := wire.ConfigGroup{Name: g.Name}
		for k, v := range g.Props {
			d, ok := model.LookupRGProp(k)
			if !ok || !settable(d) || isDefault(d, v) {
				continue
			}
			if d.Name == "Nodelist" && v == allNodes || d.Name == "RG_mode" && v == derivedRGMode(g.Props) {
				continue
			}
			if eg.Props == nil {
				eg.Props = map[string]string{}
			}
			eg.Props[d.Name] = v
		}
		f.Groups = append(f.Groups, eg)
	}
	names := slices.Sorted(maps.Keys(c.Resources))
	for _, name := range resourceOrder(names, func(n string) map[string]string { return c.Resources[n].Props }) {
		r := c.Resources[name]
		er := wire.ConfigResource{Name: r.Name, Group: r.Group, Type: r.Type}
		if rt := c.Types[r.Type]; rt != nil {
			for _, d := range rt.EffectiveParams() {
				have := r.Props
				if d.Extension {
					have = r.Ext
				}
				v, ok := have[d.Name]
				if !ok || !settable(d) || isDefault(d, v) {
					continue
				}
				out := &er.Props
				if d.Extension {
					out = &er.Ext
				}
				if *out == nil {
					*out = map[string]string{}
				}
				(*out)[d.Name] = v
			}
		}
		st := r.Nodes[node]
		if st == nil {
			for _, n := range model.SplitArray(c.Groups[r.Group].Props["Nodelist"]) {
				if st = r.Nodes[n]; st != nil {
					break
				}
			}
		}
		if st != nil {
			er.Disabled = st.OnOff == model.SwitchDisabled
			er.Unmonitored = st.Monitored == model.SwitchDisabled
		}
		f.Resources = append(f.Resources, er)
	}
	for _, n := range c.Nodes {
		hard, soft := map[string]int64{}, map[string]int64{}
		for k, l := range n.Limits {
			if l.Hard > 0 {
				hard[k] = l.Hard
			}
			if l.Soft > 0 {
				soft[k] = l.Soft
			}
		}
		if len(n.Limits) > 0 {
			f.Nodes = append(f.Nodes, wire.ConfigNode{Name: n.Name, LoadLimit: model.FormatLoads(hard), LoadLimitSoft: model.FormatLoads(soft)})
		}
	}
	f.ConcentrateLoad = c.ConcentrateLoad
	return f
}

// settable reports whether an administrator may give d a value when the
// object is created.
func settable(d model.PropDecl) bool { return !d.QueryOnly && d.Tunable != model.TunableNone }

func isDefault(d model.PropDecl, v string) bool { return d.Default != nil && *d.Default == v }

// derivedRGMode is the RG_mode a group gets when it is created without
// one (model.CreateGroup).
func derivedRGMode(props map[string]string) string {
	if props["Maximum_primaries"] != "1" {
		return "Scalable"
	}
	return "Failover"
}

// groupOrder and resourceOrder sort names so that each comes after the
// names among them that it depends on (RG_dependencies and RG_affinities;
// the resource dependency properties), keeping the given order otherwise.
// A cycle is left as it is: creating it is refused with the model's
// message.
func groupOrder(names []string, props func(string) map[string]string) []string {
	return dependencyOrder(names, func(n string) []string {
		p := props(n)
		deps := model.SplitArray(p["RG_dependencies"])
		for _, a := range model.SplitArray(p["RG_affinities"]) {
			deps = append(deps, strings.TrimLeft(a, "+-"))
		}
		return deps
	})
}

func resourceOrder(names []string, props func(string) map[string]string) []string {
	return dependencyOrder(names, func(n string) []string {
		var deps []string
		p := props(n)
		for _, dp := range model.DependencyProps {
			for _, e := range model.SplitArray(lookupFold(p, dp)) {
				deps = append(deps, model.DepName(e))
			}
		}
		return deps
	})
}

// lookupFold finds a property by name in any case, as the operator (or
// an edited file) may spell it.
func lookupFold(m map[string]string, name string) string {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func dependencyOrder(names []string, deps func(string) []string) []string {
	in := make(map[string]bool, len(names))
	for _, n := range names {
		in[n] = true
	}
	out := make([]string, 0, len(names))
	state := make(map[string]int, len(names)) // 1 visiting, 2 done
	var visit func(string)
	visit = func(n string) {
		if state[n] != 0 {
			return
		}
		state[n] = 1
		for _, dep := range deps(n) {
			if in[dep] {
				visit(dep)
			}
		}
		state[n] = 2
		out = append(out, n)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}

// Parts of imports in progress, by token. An import's parts come from one
// user; one not finished within importIdle of its last part is dropped, and
// at most maxImports are in progress at once.
const (
	importIdle = 10 * time.Minute
	maxImports = 8
)

type importStage struct {
	d       *Daemon
	uid     int
	touched time.Time
	args    wire.ImportArgs
}

var imports struct {
	sync.Mutex
	m map[string]*importStage
}

func (d *Daemon) configImport(ctx context.Context, p Peer, raw json.RawMessage) (any, error) {
	a, err := args[wire.ImportArgs](raw)
	if err != nil {
		return nil, err
	}
	if a.Token == "" {
		return nil, scha.Errorf(scha.ErrInval, "import: missing token")
	}
	all, err := stageImport(d, p, &a)
	if err != nil || all == nil {
		return wire.ImportReply{}, err
	}
	return d.importConfig(ctx, all)
}

// stageImport keeps a part that is not final and returns nil; given the
// final part it returns the whole import and forgets the token.
func stageImport(d *Daemon, p Peer, a *wire.ImportArgs) (*wire.ImportArgs, error) {
	now := time.Now()
	imports.Lock()
	defer imports.Unlock()
	for tok, st := range imports.m {
		if now.Sub(st.touched) > importIdle {
			delete(imports.m, tok)
		}
	}
	st := imports.m[a.Token]
	if st != nil && (st.d != d || st.uid != p.UID) {
		return nil, scha.Errorf(scha.ErrAccess, "import: token %s belongs to another caller", a.Token)
	}
	if st == nil {
		if a.Final {
			return a, nil
		}
		if len(imports.m) >= maxImports {
			return nil, scha.Errorf(scha.ErrReconf, "import: %d imports are already in progress; try again later", len(imports.m))
		}
		if imports.m == nil {
			imports.m = map[string]*importStage{}
		}
		st = &importStage{d: d, uid: p.UID}
		imports.m[a.Token] = st
	}
	st.touched = now
	st.args.Types = append(st.args.Types, a.Types...)
	st.args.Groups = append(st.args.Groups, a.Groups...)
	st.args.Resources = append(st.args.Resources, a.Resources...)
	st.args.Nodes = append(st.args.Nodes, a.Nodes...)
	st.args.ConcentrateLoad = st.args.ConcentrateLoad || a.ConcentrateLoad
	if !a.Final {
		return nil, nil
	}
	delete(imports.m, a.Token)
	return &st.args, nil
}

// importConfig checks the whole import on a copy of the configuration,
// runs every new resource's Validate, and only then commits it, as one
// log entry that applies all of it or, should the configuration have
// changed meanwhile so that a part is refused, none.
func (d *Daemon) importConfig(ctx context.Context, a *wire.ImportArgs) (*wire.ImportReply, error) {
	var rep wire.ImportReply
	var existing map[string]bool
	d.machine.Read(func(c *model.Config) {
		existing = make(map[string]bool, len(c.Types))
		for n := range c.Types {
			existing[n] = true
		}
	})
	cmd, kept, err := importCommand(a, existing)
	if err != nil {
		return nil, err
	}
	rep.Kept = kept

	var c *model.Config
	d.machine.Read(func(cur *model.Config) { c = cur.Clone() })
	if err := store.ApplyImport(c, &cmd); err != nil {
		return nil, err
	}
	if err := d.validateImport(ctx, c, cmd.Resources); err != nil {
		return nil, err
	}
	if err := d.propose(ctx, store.CmdImport, cmd); err != nil {
		return nil, err
	}
	rep.Types, rep.Groups, rep.Resources = len(cmd.Types), len(cmd.Groups), len(cmd.Resources)
	d.machine.Read(func(c *model.Config) {
		for _, l := range cmd.Limits {
			if c.HasNode(l.Node) {
				rep.Nodes++
			}
		}
	})
	return &rep, nil
}

// validateImport runs the Validate method of every imported resource whose
// type has one, as `rs create` does, several at a time; the first refusal
// stops the others and refuses the import.
func (d *Daemon) validateImport(ctx context.Context, c *model.Config, rs []store.ResourceCmd) error {
	l := d.lc.Load()
	if l == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	workers := min(4*runtime.NumCPU(), 32)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if stop || i >= len(rs) {
					return
				}
				r := c.Resources[rs[i].Name]
				err := l.validate(ctx, c, r, true, r.Props, r.Ext, c.Groups[r.Group].Props)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// importApplied publishes a created event for every object of a committed
// import.
func (d *Daemon) importApplied(body []byte) {
	var cmd store.ImportCmd
	if json.Unmarshal(body, &cmd) != nil {
		return
	}
	if l := d.lc.Load(); l != nil {
		l.markDirty("", "")
	}
	for _, t := range cmd.Types {
		d.publish(wire.Event{Kind: wire.EventConfig, Object: wire.KindResourceType, Name: t.Name, Change: "created"})
	}
	for _, g := range cmd.Groups {
		d.publish(wire.Event{Kind: wire.EventConfig, Object: wire.KindResourceGroup, Name: g.Name, Group: g.Name, Change: "created"})
	}
	for _, r := range cmd.Resources {
		d.publish(wire.Event{Kind: wire.EventConfig, Object: wire.KindResource, Name: r.Name, Group: r.Group, Change: "created"})
	}
}

// importCommand turns an import (rgmadm import, or simulate --config) into
// the log command that applies it all at once: types parsed from their
// RTR text (those in existing kept as they are), groups and resources in
// dependency order. An entry given twice is refused.
func importCommand(a *wire.ImportArgs, existing map[string]bool) (cmd store.ImportCmd, kept int, err error) {
	seen := map[string]bool{}
	for _, n := range a.Nodes {
		if seen["node/"+n.Name] {
			return cmd, 0, scha.Errorf(scha.ErrNode, "node %s is in the import twice", n.Name)
		}
		seen["node/"+n.Name] = true
		l := store.LoadLimitsCmd{Node: n.Name}
		if l.Hard, err = model.ParseLoads(n.LoadLimit); err == nil {
			l.Soft, err = model.ParseLoads(n.LoadLimitSoft)
		}
		if err != nil {
			return cmd, 0, scha.Errorf(scha.ErrInval, "node %s: %s", n.Name, scha.DetailOf(err))
		}
		cmd.Limits = append(cmd.Limits, l)
	}
	cmd.ConcentrateLoad = a.ConcentrateLoad
	for _, t := range a.Types {
		rt, err := rtr.Load(t.RTRFile, []byte(t.Text))
		if err != nil {
			return cmd, 0, scha.Errorf(scha.CodeOf(err), "resource type %s: RTR file %s: %s", t.Name, t.RTRFile, scha.DetailOf(err))
		}
		if t.Name != "" && rt.Name != t.Name {
			return cmd, 0, scha.Errorf(scha.ErrRT, "resource type %s: RTR file %s registers %s", t.Name, t.RTRFile, rt.Name)
		}
		if seen[rt.Name] {
			return cmd, 0, scha.Errorf(scha.ErrRT, "resource type %s is in the import twice", rt.Name)
		}
		seen[rt.Name] = true
		if existing[rt.Name] {
			kept++
			continue
		}
		cmd.Types = append(cmd.Types, *rt)
		if len(t.Props) > 0 {
			cmd.TypeProps = append(cmd.TypeProps, store.PropsCmd{Name: rt.Name, Props: t.Props})
		}
	}
	groups := make(map[string]wire.ConfigGroup, len(a.Groups))
	var gnames []string
	for _, g := range a.Groups {
		if _, dup := groups[g.Name]; dup {
			return cmd, 0, scha.Errorf(scha.ErrRG, "resource group %s is in the import twice", g.Name)
		}
		groups[g.Name] = g
		gnames = append(gnames, g.Name)
	}
	for _, n := range groupOrder(gnames, func(n string) map[string]string { return groups[n].Props }) {
		cmd.Groups = append(cmd.Groups, store.PropsCmd{Name: n, Props: groups[n].Props})
	}
	res := make(map[string]wire.ConfigResource, len(a.Resources))
	var rnames []string
	for _, r := range a.Resources {
		if _, dup := res[r.Name]; dup {
			return cmd, 0, scha.Errorf(scha.ErrRsrc, "resource %s is in the import twice", r.Name)
		}
		res[r.Name] = r
		rnames = append(rnames, r.Name)
	}
	for _, n := range resourceOrder(rnames, func(n string) map[string]string { return res[n].Props }) {
		r := res[n]
		cmd.Resources = append(cmd.Resources, store.ResourceCmd{Name: r.Name, Group: r.Group, Type: r.Type, Props: r.Props, Ext: r.Ext})
		if r.Disabled {
			cmd.Disabled = append(cmd.Disabled, r.Name)
		}
		if r.Unmonitored {
			cmd.Unmonitored = append(cmd.Unmonitored, r.Name)
		}
	}
	return cmd, kept, nil
}
