package schacmd

import (
	"context"
	"encoding/json"
	"time"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/query"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// now is the fixed clock of the fixture, so restart counts are stable.
var now = time.Unix(1_800_000_000, 0)

func sp(s string) *string { return &s }

// fixture is a small cluster: two nodes, one registered type with
// extension properties of every type, two groups and two resources.
func fixture() *model.Config {
	t := now.Unix()
	return &model.Config{
		ClusterName: "geo-cluster",
		Nodes:       []model.Node{{Name: "phys-1", ID: 1}, {Name: "phys-2", ID: 2}},
		Types: map[string]*model.ResourceType{
			"SUNW.webapp:2.0": {
				Name: "SUNW.webapp:2.0",
				Props: map[string]string{
					"Resource_type": "webapp", "Vendor_id": "SUNW", "RT_description": "Web server",
					"RT_version": "2.0", "API_version": "7", "RT_basedir": "/opt/SUNWweb/bin",
					"Start": "web_start", "Stop": "web_stop", "Validate": "web_validate", "Update": "web_update",
					"Init": "web_init", "Fini": "web_fini", "Boot": "web_boot", "Prenet_start": "", "Postnet_stop": "",
					"Monitor_start": "web_mon_start", "Monitor_stop": "web_mon_stop", "Monitor_check": "web_mon_check",
					"Failover": "TRUE", "Single_instance": "FALSE", "Init_nodes": "RG_PRIMARIES",
					"Installed_nodes": "*", "Pkglist": "SUNWweb,SUNWwebr", "Global_zone": "FALSE", "Proxy": "FALSE",
					"Is_logical_hostname": "FALSE", "Is_shared_address": "FALSE", "RT_system": "FALSE",
				},
				Params: []model.PropDecl{
					{Name: "Retry_count", Type: model.TypeInt, Default: sp("2")},
					{Name: "Retry_interval", Type: model.TypeInt, Default: sp("600")},
					{Name: "Thorough_probe_interval", Type: model.TypeInt, Default: sp("60")},
					{Name: "Cheap_probe_interval", Type: model.TypeInt, Default: sp("30")},
					{Name: "Port_list", Type: model.TypeStringArray},
					{Name: "Network_resources_used", Type: model.TypeStringArray, Default: sp("")},
					{Name: "Probe_timeout", Type: model.TypeInt, Extension: true, Default: sp("30")},
					{Name: "Confdir", Type: model.TypeString, Extension: true},
					{Name: "Child_mon", Type: model.TypeBoolean, Extension: true, Default: sp("TRUE")},
					{Name: "Log_level", Type: model.TypeEnum, Extension: true, EnumList: []string{"Low", "Normal", "High"}, Default: sp("Normal")},
					{Name: "Extra_dirs", Type: model.TypeStringArray, Extension: true, Default: sp("")},
					{Name: "Empty_list", Type: model.TypeStringArray, Extension: true, Default: sp("")},
				},
				Seq: 2,
			},
		},
		Groups: map[string]*model.ResourceGroup{
			"web-rg": {
				Name: "web-rg",
				Props: map[string]string{
					"Auto_start_on_new_cluster": "TRUE", "Desired_primaries": "1", "Maximum_primaries": "1",
					"Failback": "FALSE", "Global_resources_used": "*", "Implicit_network_dependencies": "TRUE",
					"Nodelist": "phys-1,phys-2", "Pathprefix": "", "Pingpong_interval": "3600",
					"RG_dependencies": "", "RG_affinities": "++db-rg", "RG_mode": "Failover",
					"RG_description": "Web tier", "RG_project_name": "default", "RG_system": "FALSE",
					"RG_slm_type": "manual", "RG_slm_pset_type": "default", "RG_slm_cpu_shares": "1",
					"RG_slm_pset_min": "0", "RG_is_frozen": "FALSE", "Suspend_automatic_recovery": "FALSE",
				},
				Nodes: map[string]*model.RGNode{
					"phys-1": {State: scha.RGStateOnline, Restarts: []int64{t - 100, t - 5000}},
					"phys-2": {State: scha.RGStateOffline},
				},
				Seq: 3,
			},
			"idle-rg": {Name: "idle-rg", Props: map[string]string{"Nodelist": "phys-2", "RG_mode": "Failover"}, Seq: 4},
		},
		Resources: map[string]*model.Resource{
			"web-rs": {
				Name: "web-rs", Group: "web-rg", Type: "SUNW.webapp:2.0",
				Props: map[string]string{
					"R_description": "Web front end", "Type_version": "2.0", "Resource_project_name": "default",
					"Resource_dependencies": "db-rs{LOCAL_NODE},fs-rs", "Resource_dependencies_weak": "",
					"Resource_dependencies_restart": "hasp-rs{ANY_NODE}", "Resource_dependencies_offline_restart": "",
					"Failover_mode": "SOFT", "Retry_count": "2", "Retry_interval": "600",
					"Thorough_probe_interval": "60", "Cheap_probe_interval": "30",
					"Port_list": "8080/tcp,8443/tcp", "Network_resources_used": "web-lh",
					"Start_timeout": "300", "Stop_timeout": "300", "Validate_timeout": "120", "Update_timeout": "120",
					"Monitor_start_timeout": "60", "Monitor_stop_timeout": "60", "Monitor_check_timeout": "90",
					"Init_timeout": "30", "Fini_timeout": "30", "Boot_timeout": "45",
					// Declared by the fixture although a failover type would
					// not, so their goldens show a value.
					"Scalable": "FALSE", "Load_balancing_policy": "LB_WEIGHTED", "Load_balancing_weights": "3@1,1@2",
					"Affinity_timeout": "0", "UDP_affinity": "FALSE", "Weak_affinity": "FALSE", "Global_zone_override": "TRUE",
				},
				Ext: map[string]string{
					"Probe_timeout": "120", "Confdir": "/etc/web", "Child_mon": "TRUE",
					"Log_level": "High", "Extra_dirs": "/var/www,/srv/www",
				},
				Nodes: map[string]*model.RNode{
					"phys-1": {State: scha.RStateOnline, Status: scha.StatusOK, StatusMsg: "Service is online.",
						OnOff: scha.SwitchEnabled, Monitored: scha.SwitchEnabled, Restarts: []int64{t - 30, t - 700}},
				},
				Seq: 5,
			},
			"db-rs": {
				Name: "db-rs", Group: "web-rg", Type: "SUNW.webapp:2.0",
				Props: map[string]string{"Failover_mode": "NONE"},
				Seq:   6,
			},
		},
		Seq: 6,
	}
}

// fakeClient answers like rgmd on node phys-1 would, through query.Get and
// a JSON round trip (so nil and empty lists behave as on the wire), and
// records the mutations it is asked for.
type fakeClient struct {
	cfg   *model.Config
	err   error    // returned by every call when set (daemon down, refusal)
	calls []string // op + JSON args of each Call
	gets  int
}

func newFake() *fakeClient { return &fakeClient{cfg: fixture()} }

func (f *fakeClient) Get(ctx context.Context, a wire.GetArgs) (*wire.GetReply, error) {
	f.gets++
	if f.err != nil {
		return nil, f.err
	}
	var sent wire.GetArgs
	roundTrip(a, &sent)
	rep, err := query.Get(f.cfg, query.Env{Node: "phys-1", Now: now}, sent)
	if err != nil {
		// The daemon sends code and message; the client rebuilds the error.
		return nil, &scha.Error{Code: scha.CodeOf(err), Detail: scha.DetailOf(err)}
	}
	var got wire.GetReply
	roundTrip(rep, &got)
	return &got, nil
}

func (f *fakeClient) Call(ctx context.Context, op string, args any, out any) error {
	b, _ := json.Marshal(args)
	f.calls = append(f.calls, op+" "+string(b))
	return f.err
}

func roundTrip(in, out any) {
	b, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
}
