package admcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// listMode is how `list` prints.
type listMode int

const (
	listNames listMode = iota // one name per line: the default off a terminal, for scripts
	listTable
	listJSON
)

func (inv *invocation) listMode(o *opts) listMode {
	switch {
	case o.output == "json":
		return listJSON
	case inv.env.IsTTY || o.outputSet:
		return listTable
	}
	return listNames
}

func (inv *invocation) colour() bool { return inv.env.IsTTY && !inv.env.NoColor }

// ANSI SGR sequences for states.
const (
	sgrRed    = "\x1b[31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
	sgrReset  = "\x1b[0m"
)

// paint colours a state or status word for a terminal: healthy green,
// failed red, in transition or doubtful yellow. Anything else is left
// alone, so an unfamiliar state never looks alarming by accident.
func (inv *invocation) paint(s string) string {
	if !inv.colour() || s == "" {
		return s
	}
	var sgr string
	switch {
	case s == "ONLINE" || s == "OK":
		sgr = sgrGreen
	case strings.Contains(s, "FAILED") || strings.Contains(s, "FAULTED") || s == "ERROR_STOP_FAILED":
		sgr = sgrRed
	case strings.HasPrefix(s, "PENDING_") || s == "DEGRADED" || s == "UNKNOWN":
		sgr = sgrYellow
	default:
		return s
	}
	return sgr + s + sgrReset
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return scha.Errorf(scha.ErrInternal, "encoding JSON: %v", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// table is rows of cells printed with columns aligned by two spaces.
// paintCols names the columns holding states, coloured after padding is
// computed so that escape sequences do not upset the alignment.
type table struct {
	rows      [][]string
	paintCols map[int]bool
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (inv *invocation) printTable(w io.Writer, t *table) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		last := len(r) - 1
		for last >= 0 && r[last] == "" {
			last-- // no trailing padding for empty cells
		}
		for i := 0; i <= last; i++ {
			c := r[i]
			if t.paintCols[i] {
				b.WriteString(inv.paint(c))
			} else {
				b.WriteString(c)
			}
			if i < last {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}

// orDash shows a missing value in a table, where an empty cell would
// shift the eye to the next column.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sortedKeys returns m's keys in the order show prints properties:
// case-insensitive, as the daemon treats property names.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := strings.ToLower(keys[i]), strings.ToLower(keys[j])
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return keys
}

// kvSection is one block of `Property  Value` lines in show output; a
// titled section is preceded by a blank line and its title.
type kvSection struct {
	title string
	rows  [][2]string
}

// printKV aligns all sections to one column so a show reads as one list.
func (inv *invocation) printKV(w io.Writer, sections ...kvSection) {
	width := 0
	for _, s := range sections {
		for _, r := range s.rows {
			width = max(width, utf8.RuneCountInString(r[0]))
		}
	}
	var b strings.Builder
	for _, s := range sections {
		if s.title != "" {
			fmt.Fprintf(&b, "\n%s\n", s.title)
		}
		for _, r := range s.rows {
			b.WriteString(r[0])
			if r[1] != "" {
				b.WriteString(strings.Repeat(" ", width-utf8.RuneCountInString(r[0])+2))
				b.WriteString(r[1])
			}
			b.WriteByte('\n')
		}
	}
	io.WriteString(w, b.String())
}

func propRows(m map[string]string) [][2]string {
	rows := make([][2]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		rows = append(rows, [2]string{k, m[k]})
	}
	return rows
}

func rtList(inv *invocation, o *opts, _ []string) error {
	var rts []model.ResourceType
	if err := inv.call(wire.OpRTList, nil, &rts); err != nil {
		return err
	}
	sort.Slice(rts, func(i, j int) bool { return rts[i].Name < rts[j].Name })
	switch inv.listMode(o) {
	case listJSON:
		return writeJSON(inv.env.Stdout, nonNil(rts))
	case listNames:
		for _, rt := range rts {
			fmt.Fprintln(inv.env.Stdout, rt.Name)
		}
		return nil
	}
	// Count resources from the resources themselves: the type's
	// Resource_list is a query-only property rgmd need not keep filled.
	var rss []model.Resource
	if err := inv.call(wire.OpRSList, nil, &rss); err != nil {
		return err
	}
	uses := make(map[string]int)
	for _, r := range rss {
		uses[r.Type]++
	}
	t := &table{}
	t.add("NAME", "RT_VERSION", "FAILOVER", "RESOURCES")
	for _, rt := range rts {
		t.add(rt.Name, orDash(rt.Props["RT_version"]), orDash(rt.Props["Failover"]), strconv.Itoa(uses[rt.Name]))
	}
	inv.printTable(inv.env.Stdout, t)
	return nil
}

func rtShow(inv *invocation, o *opts, operands []string) error {
	var rt model.ResourceType
	if err := inv.call(wire.OpRTShow, &wire.NameArgs{Name: operands[0]}, &rt); err != nil {
		return err
	}
	if o.output == "json" {
		return writeJSON(inv.env.Stdout, &rt)
	}
	head := [][2]string{{"Name", rt.Name}}
	if rt.SourceFile != "" {
		head = append(head, [2]string{"Source_file", rt.SourceFile})
	}
	inv.printKV(inv.env.Stdout, kvSection{rows: append(head, propRows(rt.Props)...)})
	if len(rt.Params) == 0 {
		return nil
	}
	// The parameters say what `rs create -p/-x` accepts for this type.
	fmt.Fprintf(inv.env.Stdout, "\nResource properties declared by the type:\n")
	t := &table{}
	if o.verbose {
		t.add("PROPERTY", "TYPE", "KIND", "TUNABLE", "DEFAULT", "LIMITS", "DESCRIPTION")
	} else {
		t.add("PROPERTY", "TYPE", "KIND", "TUNABLE", "DEFAULT")
	}
	for _, p := range rt.Params {
		kind := "standard"
		if p.Extension {
			kind = "extension"
		}
		if p.PerNode {
			kind += ", per node"
		}
		if o.verbose {
			t.add(p.Name, p.Type.String(), kind, p.Tunable.String(), quoteDefault(p), limits(p), p.Description)
		} else {
			t.add(p.Name, p.Type.String(), kind, p.Tunable.String(), quoteDefault(p))
		}
	}
	inv.printTable(inv.env.Stdout, t)
	return nil
}

func quoteDefault(p model.PropDecl) string {
	if p.Default == nil {
		return "(none)"
	}
	return strconv.Quote(*p.Default)
}

// limits spells out a declaration's bounds for show -v: MIN, MAX,
// lengths, array sizes, an enum's choices.
func limits(p model.PropDecl) string {
	var l []string
	add := func(label string, v *int64) {
		if v != nil {
			l = append(l, label+"="+strconv.FormatInt(*v, 10))
		}
	}
	addInt := func(label string, v *int) {
		if v != nil {
			l = append(l, label+"="+strconv.Itoa(*v))
		}
	}
	add("min", p.Min)
	add("max", p.Max)
	addInt("minlength", p.MinLength)
	addInt("maxlength", p.MaxLength)
	addInt("array_minsize", p.ArrayMinSize)
	addInt("array_maxsize", p.ArrayMaxSize)
	if len(p.EnumList) > 0 {
		l = append(l, "{"+strings.Join(p.EnumList, ",")+"}")
	}
	return strings.Join(l, " ")
}

// showVerb runs a show for each operand ("+": every object). With -o json
// one operand prints its object, several a JSON array of them; tables are
// separated by a blank line.
func showVerb(kind, op string, one func(inv *invocation, o *opts, operands []string) error) func(*invocation, *opts, []string) error {
	return func(inv *invocation, o *opts, operands []string) error {
		names, err := inv.expand(kind, operands)
		if err != nil {
			return err
		}
		if o.output == "json" && (len(operands) > 1 || operands[0] == "+") {
			all := make([]json.RawMessage, 0, len(names))
			for _, n := range names {
				var raw json.RawMessage
				if err := inv.call(op, &wire.NameArgs{Name: n}, &raw); err != nil {
					return err
				}
				all = append(all, raw)
			}
			return writeJSON(inv.env.Stdout, all)
		}
		for i, n := range names {
			if i > 0 {
				fmt.Fprintln(inv.env.Stdout)
			}
			if err := one(inv, o, []string{n}); err != nil {
				return err
			}
		}
		return nil
	}
}

func rgList(inv *invocation, o *opts, _ []string) error {
	var rgs []model.ResourceGroup
	if err := inv.call(wire.OpRGList, nil, &rgs); err != nil {
		return err
	}
	sort.Slice(rgs, func(i, j int) bool { return rgs[i].Name < rgs[j].Name })
	switch inv.listMode(o) {
	case listJSON:
		return writeJSON(inv.env.Stdout, nonNil(rgs))
	case listNames:
		for _, g := range rgs {
			fmt.Fprintln(inv.env.Stdout, g.Name)
		}
		return nil
	}
	node, err := inv.localNode()
	if err != nil {
		return err
	}
	t := &table{paintCols: map[int]bool{2: true}}
	t.add("NAME", "MODE", "STATE", "NODELIST")
	for _, g := range rgs {
		state := ""
		if n := g.Nodes[node]; n != nil {
			state = n.State
		}
		t.add(g.Name, orDash(g.Props["RG_mode"]), orDash(state), orDash(g.Props["Nodelist"]))
	}
	inv.printTable(inv.env.Stdout, t)
	return nil
}

func rgShow(inv *invocation, o *opts, operands []string) error {
	var g model.ResourceGroup
	if err := inv.call(wire.OpRGShow, &wire.NameArgs{Name: operands[0]}, &g); err != nil {
		return err
	}
	if o.output == "json" {
		return writeJSON(inv.env.Stdout, &g)
	}
	rows := append([][2]string{{"Name", g.Name}}, propRows(g.Props)...)
	inv.printKV(inv.env.Stdout, kvSection{rows: rows})
	if len(g.Nodes) == 0 {
		return nil
	}
	fmt.Fprintln(inv.env.Stdout)
	t := &table{paintCols: map[int]bool{1: true}}
	t.add("NODE", "STATE")
	for _, n := range sortedKeys(g.Nodes) {
		if st := g.Nodes[n]; st != nil {
			t.add(n, orDash(st.State))
		}
	}
	inv.printTable(inv.env.Stdout, t)
	if !o.verbose {
		return nil
	}
	for _, r := range model.SplitArray(g.Props["Resource_list"]) {
		fmt.Fprintf(inv.env.Stdout, "\nResource %s:\n", r)
		if err := rsShow(inv, o, []string{r}); err != nil {
			return err
		}
	}
	return nil
}

func rsList(inv *invocation, o *opts, _ []string) error {
	var rss []model.Resource
	if err := inv.call(wire.OpRSList, nil, &rss); err != nil {
		return err
	}
	sort.Slice(rss, func(i, j int) bool { return rss[i].Name < rss[j].Name })
	switch inv.listMode(o) {
	case listJSON:
		return writeJSON(inv.env.Stdout, nonNil(rss))
	case listNames:
		for _, r := range rss {
			fmt.Fprintln(inv.env.Stdout, r.Name)
		}
		return nil
	}
	node, err := inv.localNode()
	if err != nil {
		return err
	}
	t := &table{paintCols: map[int]bool{3: true}}
	t.add("NAME", "GROUP", "TYPE", "STATE")
	for _, r := range rss {
		state := ""
		if n := r.Nodes[node]; n != nil {
			state = n.State
		}
		t.add(r.Name, r.Group, r.Type, orDash(state))
	}
	inv.printTable(inv.env.Stdout, t)
	return nil
}

func rsShow(inv *invocation, o *opts, operands []string) error {
	var r model.Resource
	if err := inv.call(wire.OpRSShow, &wire.NameArgs{Name: operands[0]}, &r); err != nil {
		return err
	}
	if o.output == "json" {
		return writeJSON(inv.env.Stdout, &r)
	}
	head := [][2]string{{"Name", r.Name}, {"Group", r.Group}, {"Type", r.Type}}
	sections := []kvSection{{rows: append(head, propRows(r.Props)...)}}
	if len(r.Ext) > 0 {
		ext := maps.Clone(r.Ext)
		for prop, byNode := range r.ExtNode { // per-node values, as -x sets them
			for n, v := range byNode {
				ext[prop+"{"+n+"}"] = v
			}
		}
		sections = append(sections, kvSection{title: "Extension properties:", rows: propRows(ext)})
	}
	inv.printKV(inv.env.Stdout, sections...)
	if len(r.Nodes) == 0 {
		return nil
	}
	fmt.Fprintln(inv.env.Stdout)
	t := &table{paintCols: map[int]bool{1: true, 2: true}}
	t.add("NODE", "STATE", "STATUS", "ENABLED", "MONITORED", "MESSAGE")
	for _, n := range sortedKeys(r.Nodes) {
		if st := r.Nodes[n]; st != nil {
			t.add(n, orDash(st.State), orDash(st.Status), orDash(st.OnOff), orDash(st.Monitored), st.StatusMsg)
		}
	}
	inv.printTable(inv.env.Stdout, t)
	if !o.verbose {
		return nil
	}
	// What each property accepts, from the type's declarations.
	var rt model.ResourceType
	if err := inv.call(wire.OpRTShow, &wire.NameArgs{Name: r.Type}, &rt); err != nil {
		return err
	}
	fmt.Fprintf(inv.env.Stdout, "\nProperties of type %s:\n", rt.Name)
	pt := &table{}
	pt.add("PROPERTY", "VALUE", "TYPE", "TUNABLE", "DEFAULT", "LIMITS")
	for _, p := range rt.EffectiveParams() {
		v := r.Props[p.Name]
		if p.Extension {
			v = r.Ext[p.Name]
		}
		pt.add(p.Name, v, p.Type.String(), p.Tunable.String(), quoteDefault(p), limits(p))
	}
	inv.printTable(inv.env.Stdout, pt)
	return nil
}

func status(inv *invocation, o *opts, _ []string) error {
	var st wire.StatusReply
	if err := inv.call(wire.OpStatus, nil, &st); err != nil {
		return err
	}
	sort.Slice(st.Groups, func(i, j int) bool { return st.Groups[i].Name < st.Groups[j].Name })
	for _, g := range st.Groups {
		sort.Slice(g.Resources, func(i, j int) bool { return g.Resources[i].Name < g.Resources[j].Name })
	}
	if o.output == "json" {
		if st.Nodes == nil {
			st.Nodes = []wire.Node{}
		}
		if st.Groups == nil {
			st.Groups = []wire.GroupStatus{}
		}
		return writeJSON(inv.env.Stdout, &st)
	}
	header := "Node " + orDash(st.Node)
	if st.Cluster != "" {
		header += " in cluster " + st.Cluster
	}
	fmt.Fprintf(inv.env.Stdout, "%s\n\n", header)
	// One table: each group's line, then its resources indented under it,
	// so columns line up across the whole picture.
	// DESIRED is what the operator asked (ONLINE or OFFLINE), STATE what
	// the methods achieved; a difference means work in progress or a fault.
	if len(st.Nodes) > 1 {
		// A cluster: the nodes, and where each group is.
		nt := &table{paintCols: map[int]bool{2: true}}
		loads := false
		for _, n := range st.Nodes {
			loads = loads || len(n.Loads) > 0
		}
		if loads {
			nt.add("NODE", "ID", "STATE", "LOAD")
		} else {
			nt.add("NODE", "ID", "STATE")
		}
		for _, n := range st.Nodes {
			if loads {
				nt.add(n.Name, strconv.Itoa(n.ID), orDash(n.State), statusLoads(n.Loads))
				continue
			}
			nt.add(n.Name, strconv.Itoa(n.ID), orDash(n.State))
		}
		inv.printTable(inv.env.Stdout, nt)
		fmt.Fprintln(inv.env.Stdout)
	}
	t := &table{paintCols: map[int]bool{1: true, 3: true}}
	head := []string{"GROUP/RESOURCE", "STATE", "DESIRED", "STATUS", "MESSAGE"}
	// On a cluster, ELSEWHERE gives each group's and resource's state on
	// the other nodes of the group's Nodelist; the status reply has the
	// resources' on this node only, the resources' own records have every
	// node's.
	var others map[string]map[string]*model.RNode
	if len(st.Nodes) > 1 {
		head = append(head, "ELSEWHERE")
		var rss []model.Resource
		if err := inv.call(wire.OpRSList, nil, &rss); err != nil {
			return err
		}
		others = make(map[string]map[string]*model.RNode, len(rss))
		for _, r := range rss {
			others[r.Name] = r.Nodes
		}
	}
	t.add(head...)
	for _, g := range st.Groups {
		desired := orDash(g.Desired)
		if g.Suspended {
			desired += " (suspended)"
		}
		if len(st.Nodes) > 1 {
			t.add(g.Name, orDash(g.State), desired, "", "", elsewhere(g.Nodes, st.Node))
		} else {
			t.add(g.Name, orDash(g.State), desired)
		}
		for _, r := range g.Resources {
			row := []string{"  " + r.Name, orDash(r.State), orDash(r.Desired), orDash(r.Status), r.StatusMsg}
			if len(st.Nodes) > 1 {
				row = append(row, resourceElsewhere(others[r.Name], g.Nodes, st.Node))
			}
			t.add(row...)
		}
	}
	inv.printTable(inv.env.Stdout, t)
	first := true
	for _, g := range st.Groups {
		if g.Why == "" {
			continue
		}
		if first {
			fmt.Fprintln(inv.env.Stdout, "\nWhy:")
			first = false
		}
		fmt.Fprintf(inv.env.Stdout, "  %s: %s\n", g.Name, g.Why)
	}
	return nil
}

// nonNil makes an empty list print as [] rather than null in JSON, so a
// script can iterate without a special case.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// resourceElsewhere says on which other nodes of its group's Nodelist
// (the keys of nodelist) a resource is not OFFLINE, with its status:
// "n2 ONLINE (OK), n3 START_FAILED (FAULTED)", or "-".
func resourceElsewhere(states map[string]*model.RNode, nodelist map[string]string, local string) string {
	var parts []string
	for _, n := range sortedKeys(nodelist) {
		st := states[n]
		if n == local || st == nil || st.State == "" || st.State == model.RStateOffline {
			continue
		}
		part := n + " " + st.State
		if st.Status != "" {
			part += " (" + st.Status + ")"
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// elsewhere says where else a group is not OFFLINE: "n2 ONLINE, n3
// PENDING_OFFLINE", or "-".
func elsewhere(states map[string]string, local string) string {
	var parts []string
	for _, n := range sortedKeys(states) {
		if n != local && states[n] != model.RGStateOffline && states[n] != model.RGStateUnmanaged {
			parts = append(parts, n+" "+states[n])
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
