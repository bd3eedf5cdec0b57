package admcmd

import (
	"slices"
	"strings"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
	"github.com/openrgm/openrgm/pkg/wire"
)

// Verbs that take several operands (NAME...) act on each in turn, as
// clresourcegroup and clresource do; "+" stands for every object of the
// kind. Before anything changes, every name is checked to exist, so that a
// misspelt operand changes nothing; a failure part-way stops there, and
// the message names the operand it concerns.

// kinds maps an object to its list op and the code of "no such object".
var kinds = map[string]struct {
	list string
	code scha.ErrCode
	what string
}{
	"rt":   {wire.OpRTList, scha.ErrRT, "resource type"},
	"rg":   {wire.OpRGList, scha.ErrRG, "resource group"},
	"rs":   {wire.OpRSList, scha.ErrRsrc, "resource"},
	"node": {wire.OpNodeList, scha.ErrNode, "node"},
}

// expand resolves the operands of a verb on objects of kind (rt, rg, rs):
// "+" becomes every object's name (sorted), duplicates go, and each name
// must exist. A single operand other than "+" is left to rgmd to check,
// which costs no extra question. A type may be named by a shorter name
// (rt_reg(5)), which only rgmd resolves, so types are not checked here.
func (inv *invocation) expand(kind string, operands []string) ([]string, error) {
	if len(operands) == 1 && operands[0] != "+" {
		return operands, nil
	}
	k := kinds[kind]
	var objs []struct {
		Name string `json:"name"`
	}
	if err := inv.call(k.list, nil, &objs); err != nil {
		return nil, err
	}
	all := make([]string, len(objs))
	for i, o := range objs {
		all[i] = o.Name
	}
	slices.Sort(all)
	var out []string
	seen := map[string]bool{}
	for _, op := range operands {
		names := []string{op}
		if op == "+" {
			names = all
		} else if kind != "rt" {
			if _, found := slices.BinarySearch(all, op); !found {
				return nil, scha.Errorf(k.code, "%s %q does not exist", k.what, op)
			}
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// forEach runs f for each name, stopping at the first error, which it
// prefixes with the name when there are several.
func forEach(names []string, f func(name string) error) error {
	for _, n := range names {
		if err := f(n); err != nil {
			if len(names) > 1 {
				return scha.Errorf(scha.CodeOf(err), "%s: %s", n, scha.DetailOf(err))
			}
			return err
		}
	}
	return nil
}

// edit is one -p/-x operand: NAME=VALUE sets, NAME+=VALUE adds elements
// to an array property, NAME-=VALUE removes them.
type edit struct {
	name, value string
	op          byte // '=', '+' or '-'
}

// parseEdits is parseAssignments for verbs that change an existing object
// (rg set, rs set): it also accepts += and -=.
func parseEdits(flag string, vals []string) ([]edit, error) {
	var out []edit
	seen := map[string]string{}
	for _, v := range vals {
		name, value, ok := strings.Cut(v, "=")
		if !ok {
			return nil, usageError("-%s %q: want PROPERTY=VALUE, PROPERTY+=VALUE or PROPERTY-=VALUE", flag, v)
		}
		e := edit{name: name, value: value, op: '='}
		if n := len(name); n > 0 && (name[n-1] == '+' || name[n-1] == '-') {
			e.name, e.op = name[:n-1], name[n-1]
		}
		if e.name == "" {
			return nil, usageError("-%s %q: empty property name", flag, v)
		}
		key := strings.ToLower(e.name)
		if prev, dup := seen[key]; dup {
			return nil, usageError("-%s: property %s given twice (%q and %q)", flag, e.name, prev, v)
		}
		seen[key] = v
		out = append(out, e)
	}
	return out, nil
}

func hasArrayEdit(es ...[]edit) bool {
	for _, l := range es {
		for _, e := range l {
			if e.op != '=' {
				return true
			}
		}
	}
	return false
}

// resolve turns edits into the values to send. current returns a
// property's declaration and present value (ok false: no such property).
// Adding an element already present leaves it; removing one that is
// absent is refused, so that a misspelt element is noticed.
func resolve(es []edit, current func(name string) (d model.PropDecl, value string, ok bool)) (map[string]string, error) {
	if len(es) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(es))
	for _, e := range es {
		if e.op == '=' {
			out[e.name] = e.value
			continue
		}
		d, cur, ok := current(e.name)
		if !ok {
			return nil, scha.Errorf(scha.ErrProp, "no property %q", e.name)
		}
		if !d.Type.IsArray() {
			return nil, scha.Errorf(scha.ErrProp, "%s%c=: property %s is not an array", e.name, e.op, d.Name)
		}
		elems := model.SplitArray(cur)
		for _, x := range model.SplitArray(e.value) {
			i := slices.Index(elems, x)
			switch {
			case e.op == '+' && i < 0:
				elems = append(elems, x)
			case e.op == '-' && i < 0:
				return nil, scha.Errorf(scha.ErrProp, "%s-=%s: %s is not in %s (%s)", e.name, e.value, x, d.Name, cur)
			case e.op == '-':
				elems = slices.Delete(elems, i, i+1)
			}
		}
		out[d.Name] = strings.Join(elems, ",")
	}
	return out, nil
}
