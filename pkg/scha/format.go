package scha

import (
	"io"
	"strings"
)

// FormatShell writes values in the scha_cmds(1HA) output format of typ:
//
//   - string, int, uint, enum: the one value on a line (enums as given: the
//     daemon sends each enum's own spelling, e.g. Failover, ONLINE);
//   - boolean: TRUE or FALSE on a line;
//   - string_array, uint_array: one element per line, nothing at all for an
//     empty array;
//   - extension: a line with extType (STRING, INT, BOOLEAN, ENUM,
//     STRINGARRAY), then the value(s) in that type's format;
//   - status: the status keyword on a line, then the message on a line (an
//     empty line for an empty message).
//
// The output goes out in one Write so that a reader never sees half an
// answer. A value that cannot be printed in the format (a scalar with two
// values, a boolean that is neither TRUE nor FALSE, a line break inside a
// value) is an ErrInternal error and nothing is written: scripts parse this
// output with read and awk, so a wrong line is worse than none.
func FormatShell(w io.Writer, typ ResultType, extType string, values []string) error {
	b, err := AppendShell(nil, typ, extType, values)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	_, err = w.Write(b)
	return err
}

// AppendShell appends the FormatShell output to b.
func AppendShell(b []byte, typ ResultType, extType string, values []string) ([]byte, error) {
	for _, v := range values {
		if strings.ContainsAny(v, "\n\r") {
			return nil, Errorf(ErrInternal, "value %q contains a line break", v)
		}
	}
	switch typ {
	case ResultString, ResultInt, ResultUint, ResultEnum:
		return appendScalar(b, typ, values)
	case ResultBoolean:
		return appendBoolean(b, values)
	case ResultStringArray, ResultUintArray:
		return appendLines(b, values), nil
	case ResultStatus:
		if len(values) < 1 || len(values) > 2 {
			return nil, Errorf(ErrInternal, "status result has %d values, want keyword and message", len(values))
		}
		b = append(b, values[0]...)
		b = append(b, '\n')
		if len(values) == 2 {
			b = append(b, values[1]...)
		}
		return append(b, '\n'), nil
	case ResultExtension:
		et := strings.ToUpper(extType)
		var vt ResultType
		switch et {
		case ExtString:
			vt = ResultString
		case ExtInt:
			vt = ResultInt
		case ExtBoolean:
			vt = ResultBoolean
		case ExtEnum:
			vt = ResultEnum
		case ExtStringArray:
			vt = ResultStringArray
		case "UINT":
			vt = ResultUint
		case "UINTARRAY":
			vt = ResultUintArray
		default:
			return nil, Errorf(ErrInternal, "extension property of unknown type %q", extType)
		}
		b = append(b, et...)
		b = append(b, '\n')
		return AppendShell(b, vt, "", values)
	}
	return nil, Errorf(ErrInternal, "unknown result type %q", typ)
}

func appendScalar(b []byte, typ ResultType, values []string) ([]byte, error) {
	switch len(values) {
	case 0:
		// An unset string prints as an empty line: the caller's `read`
		// still gets its line.
		return append(b, '\n'), nil
	case 1:
		b = append(b, values[0]...)
		return append(b, '\n'), nil
	}
	return nil, Errorf(ErrInternal, "%s result has %d values", typ, len(values))
}

func appendBoolean(b []byte, values []string) ([]byte, error) {
	if len(values) != 1 {
		return nil, Errorf(ErrInternal, "boolean result has %d values", len(values))
	}
	switch {
	case strings.EqualFold(values[0], True):
		b = append(b, True...)
	case strings.EqualFold(values[0], False):
		b = append(b, False...)
	default:
		return nil, Errorf(ErrInternal, "boolean result %q is neither TRUE nor FALSE", values[0])
	}
	return append(b, '\n'), nil
}

func appendLines(b []byte, values []string) []byte {
	for _, v := range values {
		b = append(b, v...)
		b = append(b, '\n')
	}
	return b
}

// StripQualifiers removes the {LOCAL_NODE}, {ANY_NODE} or
// {FROM_RG_AFFINITIES} suffix of dependency elements: scha_resource_get
// prints them only with -Q, and the C API only for the _Q tags.
func StripQualifiers(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		if j := strings.IndexByte(v, '{'); j >= 0 && strings.HasSuffix(v, "}") {
			v = v[:j]
		}
		out[i] = v
	}
	return out
}
