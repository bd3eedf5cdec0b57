package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openrgm/openrgm/pkg/scha"
)

// SplitArray splits a canonical array value into its elements; "" is the
// empty array.
func SplitArray(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// Normalize checks v against d and returns its canonical form. Errors are
// *scha.Error with code ErrProp and a detail naming the property.
func (d *PropDecl) Normalize(v string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", scha.Errorf(scha.ErrProp, "property %s: "+format, append([]any{d.Name}, args...)...)
	}
	// Shell output is one value per line, so a value can't hold a newline.
	if strings.ContainsAny(v, "\n\r\x00") {
		return bad("value contains a newline or NUL byte")
	}
	switch d.Type {
	case TypeInt, TypeUint:
		n, err := d.intValue(v)
		if err != nil {
			return bad("%v", err)
		}
		return strconv.FormatInt(n, 10), nil
	case TypeBoolean:
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "TRUE":
			return "TRUE", nil
		case "FALSE":
			return "FALSE", nil
		}
		return bad("%q is not TRUE or FALSE", v)
	case TypeEnum:
		for _, e := range d.EnumList {
			if strings.EqualFold(e, strings.TrimSpace(v)) {
				return e, nil
			}
		}
		return bad("%q is not one of %s", v, strings.Join(d.EnumList, ", "))
	case TypeString:
		if err := d.checkLength(v); err != nil {
			return bad("%v", err)
		}
		return v, nil
	case TypeStringArray, TypeUintArray:
		elems := SplitArray(v)
		if d.ArrayMinSize != nil && len(elems) < *d.ArrayMinSize {
			return bad("%d elements, fewer than ARRAY_MINSIZE %d", len(elems), *d.ArrayMinSize)
		}
		if d.ArrayMaxSize != nil && len(elems) > *d.ArrayMaxSize {
			return bad("%d elements, more than ARRAY_MAXSIZE %d", len(elems), *d.ArrayMaxSize)
		}
		for i, e := range elems {
			if e == "" {
				return bad("element %d is empty", i+1)
			}
			if d.Type == TypeUintArray {
				n, err := strconv.ParseUint(strings.TrimSpace(e), 10, 32)
				if err != nil {
					return bad("element %q is not an unsigned integer", e)
				}
				elems[i] = strconv.FormatUint(n, 10)
				continue
			}
			if err := d.checkLength(e); err != nil {
				return bad("element %q: %v", e, err)
			}
		}
		return strings.Join(elems, ","), nil
	}
	return bad("unknown type %v", d.Type)
}

func (d *PropDecl) intValue(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", v)
	}
	if d.Type == TypeUint && n < 0 {
		return 0, fmt.Errorf("%q is negative", v)
	}
	if d.Min != nil && n < *d.Min {
		return 0, fmt.Errorf("%d is less than MIN %d", n, *d.Min)
	}
	if d.Max != nil && n > *d.Max {
		return 0, fmt.Errorf("%d is greater than MAX %d", n, *d.Max)
	}
	return n, nil
}

func (d *PropDecl) checkLength(s string) error {
	if d.MinLength != nil && len(s) < *d.MinLength {
		return fmt.Errorf("length %d is less than MINLENGTH %d", len(s), *d.MinLength)
	}
	if d.MaxLength != nil && len(s) > *d.MaxLength {
		return fmt.Errorf("length %d is greater than MAXLENGTH %d", len(s), *d.MaxLength)
	}
	return nil
}

// Check reports whether the declaration is consistent: bounds in order and
// used only with types they apply to, a non-empty enum list, and a default
// that is itself a valid value. Errors are *scha.Error with ErrProp; when
// the default is valid, Check replaces it by its canonical form.
func (d *PropDecl) Check() error {
	bad := func(format string, args ...any) error {
		return scha.Errorf(scha.ErrProp, "property %s: "+format, append([]any{d.Name}, args...)...)
	}
	isInt := d.Type == TypeInt || d.Type == TypeUint
	isStr := d.Type == TypeString || d.Type == TypeStringArray
	if !isInt && (d.Min != nil || d.Max != nil) {
		return bad("MIN and MAX apply only to INT properties, not %v", d.Type)
	}
	if !isStr && (d.MinLength != nil || d.MaxLength != nil) {
		return bad("MINLENGTH and MAXLENGTH apply only to STRING and STRINGARRAY properties, not %v", d.Type)
	}
	if !d.Type.IsArray() && (d.ArrayMinSize != nil || d.ArrayMaxSize != nil) {
		return bad("ARRAY_MINSIZE and ARRAY_MAXSIZE apply only to array properties, not %v", d.Type)
	}
	if d.Min != nil && d.Max != nil && *d.Min > *d.Max {
		return bad("MIN %d is greater than MAX %d", *d.Min, *d.Max)
	}
	for _, p := range []struct {
		lo, hi *int
		what   string
	}{{d.MinLength, d.MaxLength, "MINLENGTH %d is greater than MAXLENGTH %d"}, {d.ArrayMinSize, d.ArrayMaxSize, "ARRAY_MINSIZE %d is greater than ARRAY_MAXSIZE %d"}} {
		for _, b := range []*int{p.lo, p.hi} {
			if b != nil && *b < 0 {
				return bad("negative bound %d", *b)
			}
		}
		if p.lo != nil && p.hi != nil && *p.lo > *p.hi {
			return bad(p.what, *p.lo, *p.hi)
		}
	}
	if d.Type == TypeEnum {
		if len(d.EnumList) == 0 {
			return bad("ENUM with no values")
		}
		seen := map[string]bool{}
		for _, e := range d.EnumList {
			if !ValidEnumLiteral(e) {
				return bad("enum value %q is not a name", e)
			}
			if seen[strings.ToLower(e)] {
				return bad("enum value %q listed twice", e)
			}
			seen[strings.ToLower(e)] = true
		}
	} else if len(d.EnumList) > 0 {
		return bad("an enum list on a %v property", d.Type)
	}
	if d.Default != nil {
		v, err := d.Normalize(*d.Default)
		if err != nil {
			detail := strings.TrimPrefix(scha.DetailOf(err), "property "+d.Name+": ")
			return bad("DEFAULT %q is not valid: %s", *d.Default, detail)
		}
		d.Default = &v
	}
	return nil
}

// ValidEnumLiteral reports whether s may be an enum value: letters, digits,
// '_' and '-' (real RTR files use both).
func ValidEnumLiteral(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// maxNameLen bounds every object name, as Solaris Cluster does.
const maxNameLen = 255

// CheckName checks a resource, group or node name: it starts with a letter
// and holds only letters, digits, '-' and '_' (the Solaris Cluster rules),
// at most 255 characters. what ("resource", "resource group", ...) goes
// into the message; code is the error code to use.
func CheckName(what, name string, code scha.ErrCode) error {
	if name == "" {
		return scha.Errorf(code, "empty %s name", what)
	}
	if len(name) > maxNameLen {
		return scha.Errorf(code, "%s name %.20q... is longer than %d characters", what, name, maxNameLen)
	}
	for i, c := range name {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter {
			return scha.Errorf(code, "%s name %q must start with a letter", what, name)
		}
		if !letter && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return scha.Errorf(code, "%s name %q may hold only letters, digits, '-' and '_'", what, name)
		}
	}
	return nil
}

// TypeName builds the full name of a resource type:
// Vendor_id.Resource_type, plus :RT_version when upgrade (the RTR file has
// #$upgrade). An empty vendor gives just the type name. RT_version must not
// hold space, tab, / \ * ? , ; [ ] (rt_reg(4)).
func TypeName(vendor, rtype, version string, upgrade bool) (string, error) {
	if err := CheckName("Resource_type", rtype, scha.ErrRT); err != nil {
		return "", err
	}
	if vendor != "" {
		if err := CheckName("Vendor_id", vendor, scha.ErrRT); err != nil {
			return "", err
		}
	}
	if i := strings.IndexAny(version, " \t/\\*?,;[]"); i >= 0 {
		return "", scha.Errorf(scha.ErrRT, "RT_version %q may not contain %q", version, version[i])
	}
	name := rtype
	if vendor != "" {
		name = vendor + "." + rtype
	}
	if upgrade && version != "" {
		name += ":" + version
	}
	return name, nil
}
