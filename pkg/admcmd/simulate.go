package admcmd

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// rgmadm simulate: what an event would do, decided by rgmd's engine on a
// copy of the configuration, nothing done (Pacemaker's crm_simulate).

// simulateFlags are the verb's own flags, registered afresh on each run.
var simulateFlags struct {
	config string
}

func init() {
	objects = append(objects, &object{
		name:    "simulate",
		summary: "what an event would do, nothing done",
		self: &verb{
			name: "simulate", operands: []string{"EVENT", "ARG"}, many: true, noPlus: true, read: true, synopsis: "[--config FILE]",
			summary: "Print the moves and the methods each node would run after EVENT: node-down NODE, node-up NODE, switch GROUP NODE or fail RESOURCE; nothing is changed",
			flags: func(fs *pflag.FlagSet, _ *opts) {
				fs.StringVarP(&simulateFlags.config, "config", "c", "", "simulate against the configuration `FILE` written by rgmadm export (every node up, groups where a cluster start puts them) instead of the live one")
			},
			run: simulate,
		},
	})
}

func simulate(inv *invocation, o *opts, operands []string) error {
	a := wire.SimulateArgs{Event: operands[0], Operands: operands[1:]}
	if f := simulateFlags.config; f != "" {
		cfg, err := loadConfigFile(inv, f)
		if err != nil {
			return err
		}
		a.Config = cfg
	}
	var rep wire.SimulateReply
	if err := inv.call(wire.OpSimulate, &a, &rep); err != nil {
		return err
	}
	if o.output == "json" {
		return writeJSON(inv.env.Stdout, &rep)
	}
	w := inv.env.Stdout
	src := "live configuration"
	if rep.Source == "file" {
		src = "configuration " + simulateFlags.config + ", as after a cluster start"
	}
	fmt.Fprintf(w, "simulate %s (%s; up: %s); nothing is changed\n", rep.Event, src, strings.Join(rep.Up, " "))
	if len(rep.Moves) == 0 {
		fmt.Fprintf(w, "%s: no group moves\n", rep.Event)
	}
	for _, m := range rep.Moves {
		fmt.Fprintf(w, "%s: %s %s → %s (%s)\n", rep.Event, m.Group, orOffline(m.From), orOffline(m.To), m.Why)
	}
	for _, pr := range rep.Preempted {
		fmt.Fprintf(w, "%s: %s preempted from %s by %s\n", rep.Event, pr.Group, pr.Node, pr.By)
	}
	for _, b := range rep.Blocked {
		fmt.Fprintf(w, "%s: %s blocked: %s\n", rep.Event, b.Group, b.Why)
	}
	var nodes []string
	byNode := map[string][]string{}
	for _, s := range rep.Steps {
		if _, ok := byNode[s.Node]; !ok {
			nodes = append(nodes, s.Node)
		}
		byNode[s.Node] = append(byNode[s.Node], s.Method+" "+s.Resource)
	}
	for _, n := range nodes {
		fmt.Fprintf(w, "%s: %s\n", n, strings.Join(byNode[n], ", "))
	}
	for _, note := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	for _, p := range rep.After {
		where := "offline"
		if len(p.Online) > 0 {
			where = "online on " + strings.Join(p.Online, " ")
		}
		fmt.Fprintf(w, "after: %s %s\n", p.Group, where)
	}
	return nil
}

func orOffline(node string) string {
	if node == "" {
		return "offline"
	}
	return node
}

// loadConfigFile reads a saved configuration (readConfigFile) into one
// simulate request.
func loadConfigFile(inv *invocation, name string) (*wire.ImportArgs, error) {
	f, types, err := readConfigFile(inv, name)
	if err != nil {
		return nil, err
	}
	a := &wire.ImportArgs{Final: true, Types: types, Groups: f.Groups, Resources: f.Resources, Nodes: f.Nodes, ConcentrateLoad: f.ConcentrateLoad}
	if b, _ := json.Marshal(a); len(b) > wire.MaxMessage-4096 {
		return nil, scha.Errorf(scha.ErrInval, "%s: the configuration (%d bytes with its RTR files) is too big for one simulate request (%d)", name, len(b), wire.MaxMessage)
	}
	return a, nil
}
