package wire

// The whole configuration as a file: `rgmadm export` writes one,
// `rgmadm import` recreates it (on an empty rgmd, or beside what is there).
const (
	OpConfigExport = "config.export" // no args → ConfigFile
	OpConfigImport = "config.import" // ImportArgs → ImportReply
)

// ConfigFormat names the layout of a ConfigFile; a file of another format
// is refused. A later layout gets a new name, and import keeps reading the
// old ones.
const ConfigFormat = "openrgm-config/1"

// ConfigFile is the configuration: types, groups and resources in an order
// that recreates them (a group or resource after those it depends on).
// Only what an administrator chose is written: a property left at its
// default is omitted, so that the file also serves a rgmd whose defaults
// or nodes differ.
type ConfigFile struct {
	Format    string           `json:"format"`
	Cluster   string           `json:"cluster,omitempty"` // informative: import does not rename the cluster
	Types     []ConfigType     `json:"types"`
	Groups    []ConfigGroup    `json:"groups"`
	Resources []ConfigResource `json:"resources"`
	// Nodes are the load limits the operator set on nodes (#22);
	// ConcentrateLoad the cluster's Concentrate_load when TRUE.
	Nodes           []ConfigNode `json:"nodes,omitempty"`
	ConcentrateLoad bool         `json:"concentrate_load,omitempty"`
}

// ConfigNode is a node's load limits as the operator set them, in
// rgmadm node set's syntax (NAME@VALUE,...): hard and soft. Limits that
// default to the node's inventory are not written.
type ConfigNode struct {
	Name          string `json:"name"`
	LoadLimit     string `json:"loadlimit,omitempty"`
	LoadLimitSoft string `json:"loadlimit_soft,omitempty"`
}

// ConfigType is a registered resource type: its name and the RTR file it
// was registered from, which import registers again. Props are the
// administrator's type properties (Installed_nodes, RT_system) that
// differ from the file's.
type ConfigType struct {
	Name    string            `json:"name"`
	RTRFile string            `json:"rtr_file"`
	Props   map[string]string `json:"props,omitempty"`
}

// ConfigGroup is a resource group and the properties it was given.
type ConfigGroup struct {
	Name  string            `json:"name"`
	Props map[string]string `json:"props,omitempty"`
}

// ConfigResource is a resource: where it is, what it is, its properties
// and its switches (enabled and monitored unless said otherwise).
type ConfigResource struct {
	Name        string            `json:"name"`
	Group       string            `json:"group"`
	Type        string            `json:"type"`
	Props       map[string]string `json:"props,omitempty"`
	Ext         map[string]string `json:"ext,omitempty"`
	Disabled    bool              `json:"disabled,omitempty"`
	Unmonitored bool              `json:"unmonitored,omitempty"`
}

// ImportArgs carries a ConfigFile to rgmd, with the text of each type's
// RTR file (read by the client, as for rt.register). A configuration too
// big for one request goes in parts under one Token: rgmd keeps the parts
// of a token and applies them all together when the part with Final
// arrives, as one change (all of it, or nothing).
type ImportArgs struct {
	Token     string           `json:"token"`
	Final     bool             `json:"final,omitempty"`
	Types     []ImportType     `json:"types,omitempty"`
	Groups    []ConfigGroup    `json:"groups,omitempty"`
	Resources []ConfigResource `json:"resources,omitempty"`
	// Nodes and ConcentrateLoad are ConfigFile's: the limits are set on
	// the nodes of this cluster that the file names (others are left
	// out), before the groups; Concentrate_load is set TRUE when true.
	Nodes           []ConfigNode `json:"nodes,omitempty"`
	ConcentrateLoad bool         `json:"concentrate_load,omitempty"`
}

// ImportType is a ConfigType with its RTR file's text; RTRFile is then
// the file's absolute path (as RTRegisterArgs.Path).
type ImportType struct {
	ConfigType
	Text string `json:"text"`
}

// ImportReply says what an import created; a type already registered
// under the same name is kept as it is and counted in Kept. A part that is
// not Final is answered with an empty reply.
type ImportReply struct {
	Types     int `json:"types"`
	Kept      int `json:"kept_types"`
	Groups    int `json:"groups"`
	Resources int `json:"resources"`
	Nodes     int `json:"nodes,omitempty"` // nodes whose load limits were set
}
