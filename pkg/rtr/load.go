package rtr

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/openrgm/openrgm/pkg/model"
	"github.com/openrgm/openrgm/pkg/scha"
)

// upgradeWhen lists the #$upgrade_from conditions, in canonical spelling.
var upgradeWhen = []string{"ANYTIME", "WHEN_OFFLINE", "WHEN_DISABLED", "WHEN_UNMONITORED", "WHEN_UNMANAGED", "AT_CREATION"}

// attrKind classifies the attributes of a property block.
type attrKind int

const (
	attrValue attrKind = iota // NAME = value;
	attrFlag                  // NAME;
	attrType                  // a type keyword: STRING; ... or ENUM { ... };
)

type attrSpec struct {
	name string // canonical (upper case) spelling
	kind attrKind
	typ  model.PropType // for attrType
}

// attrSpecs are the attributes of a property block, in the order the
// error message lists them.
var attrSpecs = []attrSpec{
	{"PROPERTY", attrValue, 0},
	{"EXTENSION", attrFlag, 0},
	{"STRING", attrType, model.TypeString},
	{"INT", attrType, model.TypeInt},
	{"BOOLEAN", attrType, model.TypeBoolean},
	{"ENUM", attrType, model.TypeEnum},
	{"STRINGARRAY", attrType, model.TypeStringArray},
	{"DEFAULT", attrValue, 0},
	{"MIN", attrValue, 0},
	{"MAX", attrValue, 0},
	{"MINLENGTH", attrValue, 0},
	{"MAXLENGTH", attrValue, 0},
	{"ARRAY_MINSIZE", attrValue, 0},
	{"ARRAY_MAXSIZE", attrValue, 0},
	{"TUNABLE", attrValue, 0},
	{"DESCRIPTION", attrValue, 0},
	{"PER_NODE", attrFlag, 0},
}

func lookupAttr(name string) (attrSpec, bool) {
	for _, s := range attrSpecs {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return attrSpec{}, false
}

// tunables maps the TUNABLE spellings of rt_reg(4) to model values.
var tunables = map[string]model.Tunable{
	"NONE":          model.TunableNone,
	"FALSE":         model.TunableNone,
	"ANYTIME":       model.TunableAnytime,
	"TRUE":          model.TunableAnytime,
	"AT_CREATION":   model.TunableAtCreation,
	"WHEN_DISABLED": model.TunableWhenDisabled,
}

type loader struct {
	f     *File
	rt    *model.ResourceType
	set   map[string]*Assign // canonical RT property name → its assignment
	order []*Assign          // RT assignments in file order
}

func (l *loader) errorf(p Pos, format string, args ...any) *Error {
	return &Error{File: l.f.Name, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

// load checks a parsed file and builds its resource type.
func load(f *File) (*model.ResourceType, *Error) {
	l := &loader{
		f:   f,
		rt:  &model.ResourceType{Props: map[string]string{}, SourceFile: f.Name},
		set: map[string]*Assign{},
	}
	for _, d := range model.RTProps() {
		v := ""
		if d.Default != nil {
			v = *d.Default
		}
		l.rt.Props[d.Name] = v
	}
	if err := l.checkFirst(); err != nil {
		return nil, err
	}

	var blocks []*Block
	var upgrade *Upgrade
	upgradeFrom := map[string]*UpgradeFrom{}
	var firstFrom *UpgradeFrom
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *Assign:
			if len(blocks) > 0 {
				return nil, l.errorf(d.NamePos, "%s must come before the property blocks (the first is at %v)", d.Name, blocks[0].Lbrace)
			}
			if err := l.assign(d); err != nil {
				return nil, err
			}
		case *Block:
			blocks = append(blocks, d)
		case *Upgrade:
			if upgrade != nil {
				return nil, l.errorf(d.Pos, "duplicate #$upgrade (first at %v)", upgrade.Pos)
			}
			upgrade = d
			l.rt.Upgrade = true
		case *UpgradeFrom:
			u, err := l.upgradeFrom(d, upgradeFrom)
			if err != nil {
				return nil, err
			}
			if firstFrom == nil {
				firstFrom = d
			}
			l.rt.UpgradeFrom = append(l.rt.UpgradeFrom, u)
		}
	}
	if firstFrom != nil && upgrade == nil {
		return nil, l.errorf(firstFrom.Pos, "#$upgrade_from without #$upgrade")
	}
	if err := l.finishRT(upgrade); err != nil {
		return nil, err
	}

	seen := map[string]Pos{}
	for _, b := range blocks {
		d, err := l.block(b, seen)
		if err != nil {
			return nil, err
		}
		l.rt.Params = append(l.rt.Params, d)
	}
	return l.rt, nil
}

// checkFirst enforces that Resource_type is the first declaration, as
// registration on Solaris Cluster fails otherwise.
func (l *loader) checkFirst() *Error {
	for _, d := range l.f.Decls {
		switch d := d.(type) {
		case *Assign:
			if !strings.EqualFold(d.Name, "Resource_type") {
				return l.errorf(d.NamePos, "expected Resource_type = name; as the first declaration, found %s", d.Name)
			}
			return nil
		case *Block:
			return l.errorf(d.Lbrace, "expected Resource_type = name; as the first declaration, found a property block")
		}
	}
	return l.errorf(l.f.End, "missing Resource_type: an RTR file starts with Resource_type = name;")
}

// settableRT lists the RT properties an RTR file may set, for messages.
func settableRT() string {
	var names []string
	for _, d := range model.RTProps() {
		if d.Tunable == model.TunableNone && !d.QueryOnly {
			names = append(names, d.Name)
		}
	}
	return strings.Join(names, ", ")
}

func (l *loader) assign(a *Assign) *Error {
	d, ok := model.LookupRTProp(a.Name)
	if !ok {
		hint := ""
		if _, _, isR := model.LookupResourceProp(a.Name); isR {
			hint = fmt.Sprintf("; %s is a resource property: declare it in a block { PROPERTY = %s; ... }", a.Name, a.Name)
		}
		return l.errorf(a.NamePos, "unknown resource type property %q (expected one of %s)%s", a.Name, settableRT(), hint)
	}
	// The standard table marks what the file can't set: properties the
	// administrator tunes (Installed_nodes, RT_system) and query-only ones.
	if d.QueryOnly {
		return l.errorf(a.NamePos, "%s is query-only; an RTR file can't set it", d.Name)
	}
	if d.Tunable != model.TunableNone {
		return l.errorf(a.NamePos, "%s can't be set in an RTR file: the administrator sets it", d.Name)
	}
	if prev, dup := l.set[d.Name]; dup {
		return l.errorf(a.NamePos, "duplicate %s (first set at %v)", d.Name, prev.NamePos)
	}
	v, err := l.join(&d, a.Name, a.Values)
	if err != nil {
		return err
	}
	nv, nerr := d.Normalize(v)
	if nerr != nil {
		return l.errorf(valuePos(a.NamePos, a.Values), "bad value for %s: %s", d.Name, detail(nerr, d.Name))
	}
	// The parts of the type's name are checked here, not when the name is
	// built, so that the first error reported is the first in the file.
	var nameErr error
	switch d.Name {
	case "Resource_type":
		nameErr = model.CheckName("Resource_type", nv, scha.ErrRT)
	case "Vendor_id":
		if nv != "" {
			nameErr = model.CheckName("Vendor_id", nv, scha.ErrRT)
		}
	case "RT_version":
		nameErr = checkVersion(nv)
	}
	if nameErr != nil {
		return l.errorf(valuePos(a.NamePos, a.Values), "%s", scha.DetailOf(nameErr))
	}
	l.set[d.Name] = a
	l.order = append(l.order, a)
	l.rt.Props[d.Name] = nv
	return nil
}

// join turns the values of an assignment into one canonical string: the
// elements joined by commas for an array, the single value otherwise.
func (l *loader) join(d *model.PropDecl, owner string, vals []Value) (string, *Error) {
	if !d.Type.IsArray() && len(vals) > 1 {
		return "", l.errorf(vals[1].Pos, "%s takes one value, not a list", owner)
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = v.Text
	}
	return strings.Join(parts, ","), nil
}

func valuePos(name Pos, vals []Value) Pos {
	if len(vals) > 0 {
		return vals[0].Pos
	}
	return name
}

// detail is the text of a model error without its "property NAME: "
// prefixes, which the position and our own message already give.
func detail(err error, name string) string {
	return strings.ReplaceAll(scha.DetailOf(err), "property "+name+": ", "")
}

func (l *loader) upgradeFrom(d *UpgradeFrom, seen map[string]*UpgradeFrom) (model.UpgradeFrom, *Error) {
	if err := checkVersion(d.Version.Text); err != nil {
		return model.UpgradeFrom{}, l.errorf(d.Version.Pos, "bad version in #$upgrade_from: %s", scha.DetailOf(err))
	}
	if prev, dup := seen[d.Version.Text]; dup {
		return model.UpgradeFrom{}, l.errorf(d.Pos, "duplicate #$upgrade_from %q (first at %v)", d.Version.Text, prev.Pos)
	}
	seen[d.Version.Text] = d
	for _, w := range upgradeWhen {
		if strings.EqualFold(w, d.When.Text) {
			return model.UpgradeFrom{Version: d.Version.Text, When: w}, nil
		}
	}
	return model.UpgradeFrom{}, l.errorf(d.When.Pos, "unknown upgrade condition %q (expected one of %s)", d.When.Text, strings.Join(upgradeWhen, ", "))
}

// checkVersion applies the RT_version rules through model.TypeName, so
// that they live in one place.
func checkVersion(v string) error {
	_, err := model.TypeName("v", "t", v, true)
	return err
}

// pos returns where an RT property was set, or the Resource_type line
// (always present by now) for a property the file left out.
func (l *loader) pos(name string) Pos {
	if a, ok := l.set[name]; ok {
		return valuePos(a.NamePos, a.Values)
	}
	return l.set["Resource_type"].NamePos
}

// finishRT checks the RT properties as a whole and sets the type's name.
func (l *loader) finishRT(upgrade *Upgrade) *Error {
	p := l.rt.Props
	if upgrade != nil && p["RT_version"] == "" {
		return l.errorf(upgrade.Pos, "#$upgrade needs RT_version: the version becomes part of the type's name")
	}
	// assign has checked each part; this can fail only if TypeName grows
	// a rule of its own.
	name, err := model.TypeName(p["Vendor_id"], p["Resource_type"], p["RT_version"], upgrade != nil)
	if err != nil {
		return l.errorf(l.pos("Resource_type"), "%s", scha.DetailOf(err))
	}
	l.rt.Name = name

	if p["Start"] == "" && p["Prenet_start"] == "" {
		return l.errorf(l.set["Resource_type"].NamePos, "missing a start method: declare Start or Prenet_start")
	}
	if p["Stop"] == "" && p["Postnet_stop"] == "" {
		return l.errorf(l.set["Resource_type"].NamePos, "missing a stop method: declare Stop or Postnet_stop")
	}

	if b := p["RT_basedir"]; b != "" && !filepath.IsAbs(b) {
		return l.errorf(l.pos("RT_basedir"), "RT_basedir %q must be an absolute path", b)
	}
	for _, a := range l.order {
		m := model.CanonicalMethod(a.Name)
		if m == "" || p[m] == "" || filepath.IsAbs(p[m]) || p["RT_basedir"] != "" {
			continue
		}
		// Callbacks usually sit beside their RTR file, so an absolute file
		// name is a fair base; a relative one would depend on the daemon's
		// working directory, so it is refused.
		if !filepath.IsAbs(l.f.Name) {
			return l.errorf(l.pos(m), "%s path %q is relative and RT_basedir is not set", m, p[m])
		}
		p["RT_basedir"] = filepath.Dir(l.f.Name)
	}
	return nil
}

// block checks a property block and returns its declaration.
func (l *loader) block(b *Block, seen map[string]Pos) (model.PropDecl, *Error) {
	var none model.PropDecl
	if len(b.Attrs) == 0 || !strings.EqualFold(b.Attrs[0].Name, "PROPERTY") {
		at := b.Rbrace
		if len(b.Attrs) > 0 {
			at = b.Attrs[0].NamePos
		}
		return none, l.errorf(at, "expected PROPERTY = name; as the first attribute of a property block")
	}
	pa := b.Attrs[0]
	if pa.Form != AttrAssign || len(pa.Values) != 1 {
		return none, l.errorf(pa.NamePos, "PROPERTY takes one name: PROPERTY = name;")
	}
	name, namePos := pa.Values[0].Text, pa.Values[0].Pos
	if prev, dup := seen[strings.ToLower(name)]; dup {
		return none, l.errorf(namePos, "duplicate property block for %s (first at %v)", name, prev)
	}
	seen[strings.ToLower(name)] = namePos

	attrs := map[string]*Attr{"PROPERTY": pa}
	var typeAttr *Attr
	var typ model.PropType
	for _, a := range b.Attrs[1:] {
		spec, ok := lookupAttr(a.Name)
		if !ok {
			names := make([]string, len(attrSpecs))
			for i, s := range attrSpecs {
				names[i] = s.name
			}
			return none, l.errorf(a.NamePos, "unknown attribute %q in the block of %s (expected one of %s)", a.Name, name, strings.Join(names, ", "))
		}
		if err := l.checkForm(spec, a); err != nil {
			return none, err
		}
		if spec.kind == attrType {
			if typeAttr != nil {
				return none, l.errorf(a.NamePos, "a second type %s for %s (first %s at %v); a property has one type", spec.name, name, strings.ToUpper(typeAttr.Name), typeAttr.NamePos)
			}
			typeAttr, typ = a, spec.typ
			continue
		}
		if prev, dup := attrs[spec.name]; dup {
			return none, l.errorf(a.NamePos, "duplicate %s in the block of %s (first at %v)", spec.name, name, prev.NamePos)
		}
		attrs[spec.name] = a
	}

	var d model.PropDecl
	if std, _, isSys := model.LookupResourceProp(name); isSys {
		var err *Error
		if d, err = l.systemDecl(std, name, namePos, attrs, typeAttr); err != nil {
			return none, err
		}
	} else {
		ext := attrs["EXTENSION"]
		if ext == nil {
			hint := ""
			if _, isRT := model.LookupRTProp(name); isRT {
				hint = fmt.Sprintf(" (%s is a resource type property: set it with %s = value;)", name, name)
			}
			return none, l.errorf(namePos, "unknown system property %s; an extension property needs EXTENSION and a type%s", name, hint)
		}
		if err := model.CheckName("extension property", name, scha.ErrRT); err != nil {
			return none, l.errorf(namePos, "%s", scha.DetailOf(err))
		}
		if typeAttr == nil {
			return none, l.errorf(ext.NamePos, "extension property %s: expected a type: STRING, INT, BOOLEAN, ENUM or STRINGARRAY", name)
		}
		d = model.PropDecl{Name: name, Type: typ, Extension: true, Tunable: model.TunableAnytime, PerNode: attrs["PER_NODE"] != nil}
		if typ == model.TypeEnum {
			if err := l.enumList(&d, typeAttr); err != nil {
				return none, err
			}
		}
	}
	if err := l.applyAttrs(&d, attrs); err != nil {
		return none, err
	}
	return d, l.check(&d, attrs, typeAttr)
}

// checkForm makes sure an attribute is written the way its kind needs.
func (l *loader) checkForm(spec attrSpec, a *Attr) *Error {
	switch {
	case spec.name == "ENUM" && a.Form != AttrList:
		return l.errorf(a.NamePos, "expected '{' after ENUM: write ENUM { A, B, C };")
	case spec.name != "ENUM" && a.Form == AttrList:
		return l.errorf(a.NamePos, "%s takes no list in braces", spec.name)
	case (spec.kind == attrFlag || spec.kind == attrType) && spec.name != "ENUM" && a.Form != AttrFlag:
		return l.errorf(a.NamePos, "%s takes no value: write %s;", spec.name, spec.name)
	case spec.kind == attrValue && a.Form != AttrAssign:
		return l.errorf(a.NamePos, "expected '=' after %s: write %s = value;", spec.name, spec.name)
	}
	return nil
}

// systemDecl starts the declaration of a system property from its
// standard row: only the attributes applyAttrs sets may differ.
func (l *loader) systemDecl(std model.PropDecl, name string, namePos Pos, attrs map[string]*Attr, typeAttr *Attr) (model.PropDecl, *Error) {
	if std.QueryOnly {
		return std, l.errorf(namePos, "%s is a query-only system property; an RTR file can't declare it", std.Name)
	}
	if typeAttr != nil {
		return std, l.errorf(typeAttr.NamePos, "%s is a system property; its type can't be redeclared", std.Name)
	}
	if a := attrs["EXTENSION"]; a != nil {
		return std, l.errorf(a.NamePos, "%s is a system property; its type can't be redeclared (EXTENSION is for new properties)", std.Name)
	}
	if a := attrs["PER_NODE"]; a != nil {
		return std, l.errorf(a.NamePos, "PER_NODE applies only to extension properties, not to the system property %s", std.Name)
	}
	if m, ok := strings.CutSuffix(std.Name, "_timeout"); ok {
		if m = model.CanonicalMethod(m); m != "" && l.rt.Props[m] == "" {
			return std, l.errorf(namePos, "%s is declared, but the type has no %s method", std.Name, m)
		}
	}
	return clone(std), nil
}

// clone copies a standard declaration so that nothing the block changes
// can reach the shared table in package model.
func clone(d model.PropDecl) model.PropDecl {
	cp := func(p *int) *int {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	cp64 := func(p *int64) *int64 {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	if d.Default != nil {
		v := *d.Default
		d.Default = &v
	}
	d.Min, d.Max = cp64(d.Min), cp64(d.Max)
	d.MinLength, d.MaxLength = cp(d.MinLength), cp(d.MaxLength)
	d.ArrayMinSize, d.ArrayMaxSize = cp(d.ArrayMinSize), cp(d.ArrayMaxSize)
	d.EnumList = append([]string(nil), d.EnumList...)
	return d
}

// enumList reads an ENUM's values, checking each where it is written.
func (l *loader) enumList(d *model.PropDecl, a *Attr) *Error {
	if len(a.Values) == 0 {
		return l.errorf(a.NamePos, "ENUM of %s has no values", d.Name)
	}
	seen := map[string]Pos{}
	for _, v := range a.Values {
		if !model.ValidEnumLiteral(v.Text) {
			return l.errorf(v.Pos, "enum value %q of %s is not a name (letters, digits, '-' and '_')", v.Text, d.Name)
		}
		if prev, dup := seen[strings.ToLower(v.Text)]; dup {
			return l.errorf(v.Pos, "enum value %q of %s listed twice (first at %v)", v.Text, d.Name, prev)
		}
		seen[strings.ToLower(v.Text)] = v.Pos
		d.EnumList = append(d.EnumList, v.Text)
	}
	return nil
}

// applyAttrs sets DEFAULT, the bounds, TUNABLE and DESCRIPTION.
func (l *loader) applyAttrs(d *model.PropDecl, attrs map[string]*Attr) *Error {
	if a := attrs["DEFAULT"]; a != nil {
		v, err := l.join(d, "DEFAULT", a.Values)
		if err != nil {
			return err
		}
		d.Default = &v
	}
	for _, b := range []struct {
		name string
		dst  **int64
	}{{"MIN", &d.Min}, {"MAX", &d.Max}} {
		if a := attrs[b.name]; a != nil {
			n, err := l.number(a, true)
			if err != nil {
				return err
			}
			*b.dst = &n
		}
	}
	for _, b := range []struct {
		name string
		dst  **int
	}{{"MINLENGTH", &d.MinLength}, {"MAXLENGTH", &d.MaxLength}, {"ARRAY_MINSIZE", &d.ArrayMinSize}, {"ARRAY_MAXSIZE", &d.ArrayMaxSize}} {
		if a := attrs[b.name]; a != nil {
			n, err := l.number(a, false)
			if err != nil {
				return err
			}
			v := int(n)
			*b.dst = &v
		}
	}
	if a := attrs["TUNABLE"]; a != nil {
		if len(a.Values) != 1 {
			return l.errorf(valuePos(a.NamePos, a.Values), "TUNABLE takes one of NONE, FALSE, ANYTIME, TRUE, AT_CREATION, WHEN_DISABLED")
		}
		t, ok := tunables[strings.ToUpper(a.Values[0].Text)]
		if !ok {
			return l.errorf(a.Values[0].Pos, "unknown TUNABLE %q (expected one of NONE, FALSE, ANYTIME, TRUE, AT_CREATION, WHEN_DISABLED)", a.Values[0].Text)
		}
		d.Tunable = t
	}
	if a := attrs["DESCRIPTION"]; a != nil {
		if len(a.Values) > 1 {
			return l.errorf(a.Values[1].Pos, "DESCRIPTION takes one string, not a list")
		}
		if len(a.Values) == 1 {
			d.Description = a.Values[0].Text
		}
	}
	return nil
}

// number reads the integer of MIN, MAX or a length or size bound. Values
// are 32-bit, as model.PropDecl.Normalize reads them.
func (l *loader) number(a *Attr, signed bool) (int64, *Error) {
	name := strings.ToUpper(a.Name)
	if len(a.Values) != 1 {
		return 0, l.errorf(valuePos(a.NamePos, a.Values), "%s takes one integer", name)
	}
	v := a.Values[0]
	n, err := strconv.ParseInt(v.Text, 10, 32)
	if err != nil {
		return 0, l.errorf(v.Pos, "bad number %q for %s: expected an integer", v.Text, name)
	}
	if !signed && n < 0 {
		return 0, l.errorf(v.Pos, "bad number %d for %s: it can't be negative", n, name)
	}
	return n, nil
}

// check runs model.PropDecl.Check and points its complaint at the
// attribute it is about: the bounds first, without the default, so that a
// bad default is reported at DEFAULT and a bad bound at the bound.
func (l *loader) check(d *model.PropDecl, attrs map[string]*Attr, typeAttr *Attr) *Error {
	bare := *d
	bare.Default = nil
	if err := bare.Check(); err != nil {
		msg := detail(err, d.Name)
		return l.errorf(attrFor(msg, attrs, typeAttr), "property %s: %s", d.Name, msg)
	}
	if err := d.Check(); err != nil {
		msg := detail(err, d.Name)
		// The default is the file's own, or the standard one that a new
		// bound of the file no longer admits.
		at := attrFor(msg, attrs, typeAttr)
		if a := attrs["DEFAULT"]; a != nil {
			at = valuePos(a.NamePos, a.Values)
		}
		return l.errorf(at, "property %s: %s", d.Name, msg)
	}
	return nil
}

// attrFor finds the attribute a Check message names (MIN, ARRAY_MAXSIZE,
// ENUM, ...): the last one in the file, since the problem shows when it is
// read. Without one, the PROPERTY name.
func attrFor(msg string, attrs map[string]*Attr, typeAttr *Attr) Pos {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(msg, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r == '_')
	}) {
		words[w] = true
	}
	best := attrs["PROPERTY"].Values[0].Pos
	found := false
	consider := func(name string, a *Attr) {
		if a == nil || !words[name] {
			return
		}
		if !found || a.NamePos.Line > best.Line || a.NamePos.Line == best.Line && a.NamePos.Col > best.Col {
			best, found = a.NamePos, true
		}
	}
	for name, a := range attrs {
		if name != "PROPERTY" {
			consider(name, a)
		}
	}
	if typeAttr != nil && strings.EqualFold(typeAttr.Name, "ENUM") {
		consider("ENUM", typeAttr)
	}
	return best
}
