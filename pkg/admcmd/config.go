package admcmd

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/openrgm/openrgm/pkg/client"
	"github.com/openrgm/openrgm/pkg/client/remote"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// rgmadm export and rgmadm import: the whole configuration as a JSON file
// (wire.ConfigFile), as clresource export and pcs config export do.
func init() {
	objects = append(objects,
		&object{
			name:    "export",
			summary: "the whole configuration as a file, on stdout",
			self: &verb{name: "export", summary: "Write the configuration (types, groups, resources, their properties and switches) as JSON on stdout, for rgmadm import",
				run: configExport},
		},
		&object{
			name:    "import",
			summary: "recreate a configuration written by export",
			self: &verb{name: "import", operands: []string{"FILE"}, summary: "Create the types, groups and resources of FILE (- for stdin), all or none, running each resource's Validate",
				run: configImport},
		},
	)
}

func configExport(inv *invocation, _ *opts, _ []string) error {
	var f wire.ConfigFile
	if err := inv.call(wire.OpConfigExport, nil, &f); err != nil {
		return err
	}
	return writeJSON(inv.env.Stdout, &f)
}

// importPart bounds the entries of one import request, well under
// wire.MaxMessage; a bigger configuration goes in several parts.
const importPart = 512 << 10

func configImport(inv *invocation, _ *opts, operands []string) error {
	f, types, err := readConfigFile(inv, operands[0])
	if err != nil {
		return err
	}
	var entries []any
	for _, t := range types {
		entries = append(entries, t)
	}
	for _, g := range f.Groups {
		entries = append(entries, g)
	}
	for _, r := range f.Resources {
		entries = append(entries, r)
	}
	parts, err := importParts(entries)
	if err != nil {
		return err
	}
	parts[0].Nodes, parts[0].ConcentrateLoad = f.Nodes, f.ConcentrateLoad
	token := newToken()
	var rep wire.ImportReply
	for i, p := range parts {
		p.Token, p.Final = token, i == len(parts)-1
		if err := inv.longCall(wire.OpConfigImport, p, &rep); err != nil {
			return err
		}
	}
	fmt.Fprintf(inv.env.Stdout, "imported %d resource types (%d already registered), %d resource groups, %d resources",
		rep.Types, rep.Kept, rep.Groups, rep.Resources)
	if rep.Nodes > 0 {
		fmt.Fprintf(inv.env.Stdout, ", the load limits of %d nodes", rep.Nodes)
	}
	fmt.Fprintln(inv.env.Stdout)
	return nil
}

// importParts packs entries into requests of about importPart bytes each;
// there is always at least one, the final.
func importParts(entries []any) ([]*wire.ImportArgs, error) {
	parts := []*wire.ImportArgs{{}}
	size := 0
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, scha.Errorf(scha.ErrInternal, "encoding the import: %v", err)
		}
		if size > 0 && size+len(b) > importPart {
			parts = append(parts, &wire.ImportArgs{})
			size = 0
		}
		size += len(b)
		p := parts[len(parts)-1]
		switch e := e.(type) {
		case wire.ImportType:
			p.Types = append(p.Types, e)
		case wire.ConfigGroup:
			p.Groups = append(p.Groups, e)
		case wire.ConfigResource:
			p.Resources = append(p.Resources, e)
		}
	}
	return parts, nil
}

// ImportTimeout bounds the wait for rgmd's answer to an import, which runs
// every new resource's Validate first: far longer than the client's usual
// bound for one call.
const ImportTimeout = time.Hour

// longCall is call with ImportTimeout as the bound of the answer, when the
// connection is the real client.
func (inv *invocation) longCall(op string, args, out any) error {
	if inv.caller == nil {
		c, err := inv.connect()
		if err != nil {
			return err
		}
		inv.caller = c
	}
	if c, ok := inv.caller.(*client.Client); ok {
		prev := c.Timeout
		c.Timeout = ImportTimeout
		defer func() { c.Timeout = prev }()
	}
	if c, ok := inv.caller.(*remote.Client); ok {
		prev := c.Timeout
		c.Timeout = ImportTimeout
		defer func() { c.Timeout = prev }()
	}
	return inv.call(op, args, out)
}

// newToken names an import's parts for rgmd.
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// readConfigFile reads a file written by rgmadm export ("-": stdin) and
// the RTR files its types name, relative to the file, as rt register
// does: rgmd never opens paths on a client's behalf. A type of rt
// import-ocf is made again from its agent.
func readConfigFile(inv *invocation, name string) (*wire.ConfigFile, []wire.ImportType, error) {
	var data []byte
	var err error
	dir := "."
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
		dir = filepath.Dir(name)
	}
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return nil, nil, scha.Errorf(scha.ErrInval, "cannot read %s: %v", name, err)
	}
	var f wire.ConfigFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt key would drop what it holds
	if err := dec.Decode(&f); err != nil {
		return nil, nil, scha.Errorf(scha.ErrInval, "%s: not a configuration written by rgmadm export: %v", name, err)
	}
	if dec.More() {
		return nil, nil, scha.Errorf(scha.ErrInval, "%s: text after the configuration", name)
	}
	if f.Format != wire.ConfigFormat {
		return nil, nil, scha.Errorf(scha.ErrInval, "%s: format %q, want %q", name, f.Format, wire.ConfigFormat)
	}
	var types []wire.ImportType
	for _, t := range f.Types {
		if t.RTRFile == "" {
			return nil, nil, scha.Errorf(scha.ErrInval, "%s: resource type %s has no rtr_file", name, t.Name)
		}
		path := t.RTRFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		var abs string
		var text []byte
		if root, provider, agent, ok := importedAgent(path); ok {
			var s string
			s, err = ocfAgentRTR(inv.ctx, root, provider, agent)
			abs, text = path, []byte(s)
		} else {
			abs, text, err = readRTR(path)
		}
		if err != nil {
			return nil, nil, scha.Errorf(scha.CodeOf(err), "resource type %s: %s", t.Name, scha.DetailOf(err))
		}
		t.RTRFile = abs
		types = append(types, wire.ImportType{ConfigType: t, Text: string(text)})
	}
	return &f, types, nil
}
