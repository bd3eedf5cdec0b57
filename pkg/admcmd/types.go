package admcmd

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/rtr"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Shipped types are registered by name: `rgmadm rt register
// ORGM.LogicalHostname` finds the RTR file among the installed types, in
// the directories typeDirs lists.

// typeDirs are the directories searched for installed types, each holding
// one folder per type with its RTR file: $RGM_TYPES_PATH (colon-separated)
// first, then PREFIX/lib/openrgm/callbacks of the prefix rgmadm runs from
// (BINDIR/..), then the callbacks folder of a build tree (bin/..), then
// /usr/lib/openrgm/callbacks and /usr/local/lib/openrgm/callbacks.
func typeDirs() []string {
	var dirs []string
	if p := os.Getenv("RGM_TYPES_PATH"); p != "" {
		dirs = append(dirs, filepath.SplitList(p)...)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			up := filepath.Dir(filepath.Dir(exe))
			dirs = append(dirs, filepath.Join(up, "lib", "openrgm", "callbacks"), filepath.Join(up, "callbacks"))
		}
	}
	return append(dirs, "/usr/lib/openrgm/callbacks", "/usr/local/lib/openrgm/callbacks")
}

// installedType is a shipped type's RTR file and its full name.
type installedType struct{ name, file string }

// installedTypes lists the RTR files of the installed types, first
// directory first.
func installedTypes() []installedType {
	var out []installedType
	for _, dir := range typeDirs() {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*.rtr"))
		sort.Strings(files)
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			rt, err := rtr.Load(f, text)
			if err != nil {
				continue
			}
			out = append(out, installedType{name: rt.Name, file: f})
		}
	}
	return out
}

// typeByName finds an installed type by its name (Vendor_id.Resource_type,
// with or without :RT_version, in any case).
func typeByName(name string) (string, error) {
	all := installedTypes()
	for _, t := range all {
		short, _, _ := strings.Cut(t.name, ":")
		if strings.EqualFold(t.name, name) || strings.EqualFold(short, name) {
			return t.file, nil
		}
	}
	var names []string
	seen := map[string]bool{}
	for _, t := range all {
		if short, _, _ := strings.Cut(t.name, ":"); !seen[short] {
			seen[short] = true
			names = append(names, short)
		}
	}
	if len(names) == 0 {
		return "", scha.Errorf(scha.ErrRT, "no file %s, and no installed resource types were found (in %s)", name, strings.Join(typeDirs(), ", "))
	}
	return "", scha.Errorf(scha.ErrRT, "no file %s, and no installed resource type of that name; installed: %s", name, strings.Join(names, ", "))
}

// registerOperand resolves rt register's operand: a file, or the name of
// an installed type when no such file exists and it holds no slash.
func registerOperand(operand string) (string, error) {
	if _, err := os.Stat(operand); err == nil || strings.ContainsRune(operand, '/') || strings.HasSuffix(operand, ".rtr") {
		return operand, nil
	}
	return typeByName(operand)
}

// --- rgmadm rt import-ocf

// ocfMetaTimeout bounds the agent's meta-data action.
const ocfMetaTimeout = 10 * time.Second

// ocfMeta is an agent's meta-data (the OCF resource agent API's XML).
type ocfMeta struct {
	XMLName    xml.Name `xml:"resource-agent"`
	Name       string   `xml:"name,attr"`
	Version    string   `xml:"version"`
	ShortDesc  string   `xml:"shortdesc"`
	Parameters []struct {
		Name      string `xml:"name,attr"`
		Required  string `xml:"required,attr"`
		Unique    string `xml:"unique,attr"`
		ShortDesc string `xml:"shortdesc"`
		Content   struct {
			Type    string  `xml:"type,attr"`
			Default *string `xml:"default,attr"`
			Options []struct {
				Value string `xml:"value,attr"`
			} `xml:"option"`
		} `xml:"content"`
	} `xml:"parameters>parameter"`
	Actions []struct {
		Name     string `xml:"name,attr"`
		Timeout  string `xml:"timeout,attr"`
		Interval string `xml:"interval,attr"`
		Depth    string `xml:"depth,attr"`
		Role     string `xml:"role,attr"`
	} `xml:"actions>action"`
}

func importOCFFlags(fs *pflag.FlagSet, o *opts) {
	fs.StringVar(&o.ocfRoot, "ocf-root", "/usr/lib/ocf", "`DIR` holding resource.d/PROVIDER/AGENT (OCF_ROOT)")
	boolFlag(fs, &o.dryRun, "print", "", "print the RTR file made of the agent's meta-data; register nothing")
}

var ocfName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// ocfParamName is what a parameter's name must look like to become an
// extension property (OCF_RESKEY_NAME must be a shell variable too).
var ocfParamName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// rtImportOCF registers an OCF resource agent as the type
// OCF.PROVIDER_AGENT (ocfRTR): a type's name may not hold a dot.
func rtImportOCF(inv *invocation, o *opts, operands []string) error {
	provider, agent, ok := strings.Cut(operands[0], ":")
	if strings.HasPrefix(operands[0], "ocf:") { // ocf:heartbeat:IPaddr2, as pcs writes it
		provider, agent, ok = strings.Cut(strings.TrimPrefix(operands[0], "ocf:"), ":")
	}
	if !ok || !ocfName.MatchString(provider) || !ocfName.MatchString(agent) {
		return usageError("rt import-ocf: %q: want PROVIDER:AGENT, such as heartbeat:IPaddr2 (letters, digits, '-' and '_', which a type's name may hold)", operands[0])
	}
	root, err := filepath.Abs(o.ocfRoot)
	if err != nil {
		return usageError("rt import-ocf: --ocf-root %s: %v", o.ocfRoot, err)
	}
	dir := filepath.Join(root, "resource.d", provider)
	path := filepath.Join(dir, agent)
	st, err := os.Stat(path)
	if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		what := "does not exist"
		if err == nil {
			what = "is not an executable file"
		}
		return scha.Errorf(scha.ErrRT, "rt import-ocf: OCF agent %s:%s: %s %s", provider, agent, path, what)
	}
	text, err := ocfAgentRTR(inv.ctx, root, provider, agent)
	if err != nil {
		return err
	}
	if o.dryRun {
		fmt.Fprint(inv.env.Stdout, text)
		return nil
	}
	var rt model.ResourceType
	if err := inv.call(wire.OpRTRegister, &wire.RTRegisterArgs{Path: path, Text: text}, &rt); err != nil {
		return err
	}
	fmt.Fprintln(inv.env.Stdout, rt.Name)
	return nil
}

// ocfAgentRTR makes the RTR file of the agent ROOT/resource.d/PROVIDER/AGENT.
func ocfAgentRTR(ctx context.Context, root, provider, agent string) (string, error) {
	dir := filepath.Join(root, "resource.d", provider)
	path := filepath.Join(dir, agent)
	meta, err := ocfMetaData(ctx, root, path)
	if err != nil {
		return "", scha.Errorf(scha.ErrRT, "rt import-ocf: %s:%s: %v", provider, agent, err)
	}
	methods, err := ocfMethodDir()
	if err != nil {
		return "", err
	}
	text, err := ocfRTR(provider, agent, dir, methods, meta)
	if err != nil {
		return "", scha.Errorf(scha.ErrRT, "rt import-ocf: %s:%s: %v", provider, agent, err)
	}
	// Check the result before sending it, so that a fault of ours says so.
	if _, err := rtr.Load(path, []byte(text)); err != nil {
		return "", scha.Errorf(scha.ErrInternal, "rt import-ocf: %s:%s: the RTR file made of its meta-data does not parse: %v", provider, agent, err)
	}
	return text, nil
}

// importedAgent reports whether a type's rtr_file in an exported
// configuration is an OCF agent (OCF_ROOT/resource.d/PROVIDER/AGENT, an
// executable): the type was made by rt import-ocf, and rgmadm import
// makes it again from the agent's meta-data.
func importedAgent(path string) (root, provider, agent string, ok bool) {
	dir := filepath.Dir(path)
	if strings.HasSuffix(path, ".rtr") || filepath.Base(filepath.Dir(dir)) != "resource.d" {
		return "", "", "", false
	}
	st, err := os.Stat(path)
	if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		return "", "", "", false
	}
	return filepath.Dir(filepath.Dir(dir)), filepath.Base(dir), filepath.Base(path), true
}

// ocfMethodDir finds the installed OCF methods (the ocf folder beside the
// shipped types, with ocf_start and the other links to orgm_agent).
func ocfMethodDir() (string, error) {
	for _, d := range typeDirs() {
		dir := filepath.Join(d, "ocf")
		if st, err := os.Stat(filepath.Join(dir, "ocf_start")); err == nil && !st.IsDir() {
			abs, err := filepath.Abs(dir)
			if err == nil {
				return abs, nil
			}
		}
	}
	return "", scha.Errorf(scha.ErrRT, "rt import-ocf: OpenRGM's OCF methods (ocf/ocf_start) are not installed in %s", strings.Join(typeDirs(), ", "))
}

// ocfMetaData runs the agent's meta-data action and parses it.
func ocfMetaData(ctx context.Context, root, path string) (*ocfMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, ocfMetaTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "meta-data")
	cmd.Env = []string{"OCF_ROOT=" + root, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if ctx.Err() != nil {
			return nil, fmt.Errorf("meta-data did not finish within %s", ocfMetaTimeout)
		}
		return nil, fmt.Errorf("meta-data failed (%v): %s", err, oneLine(msg))
	}
	return parseOCFMeta(out.Bytes())
}

// parseOCFMeta parses and checks an agent's meta-data.
func parseOCFMeta(data []byte) (*ocfMeta, error) {
	var m ocfMeta
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("bad meta-data: not an OCF <resource-agent> document: %v", err)
	}
	seen := map[string]bool{}
	for _, p := range m.Parameters {
		if !ocfParamName.MatchString(p.Name) {
			return nil, fmt.Errorf("bad meta-data: parameter name %q cannot be a property name", p.Name)
		}
		if _, _, std := model.LookupResourceProp(p.Name); std || strings.EqualFold(p.Name, "Probe_timeout") {
			return nil, fmt.Errorf("bad meta-data for OpenRGM: parameter %s has the name of a property OpenRGM gives every resource of the type, so it cannot be imported", p.Name)
		}
		if seen[strings.ToLower(p.Name)] {
			return nil, fmt.Errorf("bad meta-data: parameter %s declared twice", p.Name)
		}
		seen[strings.ToLower(p.Name)] = true
	}
	has := map[string]bool{}
	for _, a := range m.Actions {
		has[a.Name] = true
	}
	if !has["start"] || !has["stop"] {
		return nil, fmt.Errorf("bad meta-data: the agent declares no start and stop actions")
	}
	return &m, nil
}

// ocfSeconds reads an OCF duration ("20s", "2m", "1h", "90", "500ms"),
// in whole seconds (at least 1), def when absent.
func ocfSeconds(v string, def int) int {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "" {
		return def
	}
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"ms", 0.001}, {"msec", 0.001}, {"sec", 1}, {"s", 1}, {"min", 60}, {"m", 60}, {"hr", 3600}, {"h", 3600}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSuffix(v, u.suffix), u.m
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 {
		return def
	}
	s := int(f*mult + 0.999)
	if s < 1 {
		s = 1
	}
	return s
}

// rtrString quotes a value for an RTR file.
func rtrString(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.NewReplacer(`\`, `\\`, `"`, `'`).Replace(s)
	return `"` + s + `"`
}

// ocfRTR makes the RTR file of an agent: Vendor_id OCF, Resource_type
// PROVIDER_AGENT, RT_basedir the agent's directory, the methods OpenRGM's
// ocf_* links in methodDir; one extension property per parameter (integer
// INT, boolean BOOLEAN, select ENUM, anything else STRING; a default
// becomes DEFAULT, required="1" no default, unique="1" a check at
// Validate); the start, stop, validate-all and monitor timeouts become the
// method timeouts and Probe_timeout, the monitor interval
// Thorough_probe_interval.
func ocfRTR(provider, agent, agentDir, methodDir string, m *ocfMeta) (string, error) {
	var b strings.Builder
	timeouts := map[string]int{}
	interval := 0
	for _, a := range m.Actions {
		if a.Role != "" {
			continue // promotable roles: not supported
		}
		if _, dup := timeouts[a.Name]; !dup {
			timeouts[a.Name] = ocfSeconds(a.Timeout, 20)
		}
		if a.Name == "monitor" && interval == 0 {
			interval = ocfSeconds(a.Interval, 0)
		}
	}
	_, hasMonitor := timeouts["monitor"]
	if interval == 0 {
		interval = 10
	}
	fmt.Fprintf(&b, "#\n# OCF.%s_%s: the OCF resource agent %s:%s, made by rgmadm rt import-ocf\n", provider, agent, provider, agent)
	fmt.Fprintf(&b, "# from the agent's meta-data (version %s). Its methods are OpenRGM's\n", strings.TrimSpace(m.Version))
	b.WriteString("# ocf_* programs, which rgmd runs by calling the agent itself (ORGM.ocf(5)).\n#\n")
	fmt.Fprintf(&b, "Resource_type = %s;\n", rtrString(provider+"_"+agent))
	b.WriteString("Vendor_id = OCF;\n")
	desc := strings.TrimSpace(m.ShortDesc)
	if desc == "" {
		desc = "OCF agent " + provider + ":" + agent
	}
	fmt.Fprintf(&b, "RT_description = %s;\n", rtrString(desc))
	b.WriteString("RT_version = \"1.0\";\nAPI_version = 2;\nFailover = FALSE;\nInit_nodes = RG_PRIMARIES;\n")
	fmt.Fprintf(&b, "RT_basedir = %s;\n\n", rtrString(agentDir))
	methods := []struct{ prop, link string }{{"Start", "start"}, {"Stop", "stop"}, {"Validate", "validate"}}
	if hasMonitor {
		methods = append(methods, struct{ prop, link string }{"Monitor_start", "monitor_start"},
			struct{ prop, link string }{"Monitor_stop", "monitor_stop"}, struct{ prop, link string }{"Monitor_check", "monitor_check"})
	}
	for _, mt := range methods {
		fmt.Fprintf(&b, "%s = %s;\n", mt.prop, rtrString(filepath.Join(methodDir, "ocf_"+mt.link)))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "{ PROPERTY = Start_timeout; MIN = 1; DEFAULT = %d; }\n", timeouts["start"])
	fmt.Fprintf(&b, "{ PROPERTY = Stop_timeout; MIN = 1; DEFAULT = %d; }\n", timeouts["stop"])
	fmt.Fprintf(&b, "{ PROPERTY = Validate_timeout; MIN = 1; DEFAULT = %d; }\n", max(timeouts["validate-all"], 20))
	b.WriteString("{ PROPERTY = Failover_mode; DEFAULT = SOFT; TUNABLE = ANYTIME; }\n")
	if hasMonitor {
		fmt.Fprintf(&b, "{ PROPERTY = Monitor_check_timeout; MIN = 1; DEFAULT = %d; }\n", max(timeouts["validate-all"], 20))
		b.WriteString("{ PROPERTY = Retry_count; MIN = -1; MAX = 100; DEFAULT = 2; TUNABLE = ANYTIME; }\n")
		b.WriteString("{ PROPERTY = Retry_interval; MIN = 0; MAX = 86400; DEFAULT = 300; TUNABLE = ANYTIME; }\n")
		fmt.Fprintf(&b, "{ PROPERTY = Thorough_probe_interval; MIN = 1; MAX = 86400; DEFAULT = %d; TUNABLE = ANYTIME; }\n", interval)
		fmt.Fprintf(&b, "{ PROPERTY = Probe_timeout; EXTENSION; INT; MIN = 1; DEFAULT = %d; TUNABLE = ANYTIME;\n  DESCRIPTION = \"Seconds the agent's monitor may take\"; }\n", timeouts["monitor"])
	}
	for _, p := range m.Parameters {
		if strings.EqualFold(p.Name, "Probe_timeout") && hasMonitor {
			return "", fmt.Errorf("parameter %s clashes with OpenRGM's own property", p.Name)
		}
		typ := "STRING"
		def := p.Content.Default
		required := p.Required == "1" || strings.EqualFold(p.Required, "true")
		switch strings.ToLower(p.Content.Type) {
		case "integer", "int":
			typ = "INT"
			if def != nil {
				if _, err := strconv.ParseInt(strings.TrimSpace(*def), 10, 64); err != nil {
					typ = "STRING" // a default that is no number: keep it as text
				} else {
					d := strings.TrimSpace(*def)
					def = &d
				}
			} else if !required {
				typ = "STRING" // an optional INT needs a default; an empty STRING is one
			}
		case "boolean":
			typ = "BOOLEAN"
			if def != nil {
				switch strings.ToLower(strings.TrimSpace(*def)) {
				case "true", "yes", "1", "on":
					d := "TRUE"
					def = &d
				case "false", "no", "0", "off":
					d := "FALSE"
					def = &d
				default:
					typ = "STRING"
				}
			} else if !required {
				d := "FALSE" // OCF agents test "true": unset is false
				def = &d
			}
		case "select":
			var opts []string
			ok := true
			for _, o := range p.Content.Options {
				if o.Value != "" {
					opts = append(opts, o.Value)
					ok = ok && ocfParamName.MatchString(o.Value)
				}
			}
			if len(opts) > 0 && ok { // else a STRING: an enum value is a name
				typ = "ENUM { " + strings.Join(opts, ", ") + " }"
			}
		}
		fmt.Fprintf(&b, "{\n\tPROPERTY = %s;\n\tEXTENSION;\n\t%s;\n", p.Name, typ)
		if required {
			// No default: the value is required at creation.
		} else if def != nil {
			fmt.Fprintf(&b, "\tDEFAULT = %s;\n", rtrString(*def))
		} else {
			b.WriteString("\tDEFAULT = \"\";\n")
		}
		b.WriteString("\tTUNABLE = WHEN_DISABLED;\n")
		d := strings.TrimSpace(p.ShortDesc)
		if p.Unique == "1" || strings.EqualFold(p.Unique, "true") {
			d = strings.TrimSpace(d + " [unique]")
		}
		if d != "" {
			fmt.Fprintf(&b, "\tDESCRIPTION = %s;\n", rtrString(d))
		}
		b.WriteString("}\n")
	}
	return b.String(), nil
}
