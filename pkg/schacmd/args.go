package schacmd

import "fmt"

// args is a parsed command line.
type args struct {
	vals     map[byte]string // option → argument ("" for a flag)
	operands []string
}

func (a *args) has(o byte) bool { _, ok := a.vals[o]; return ok }

func (a *args) get(o byte) (string, bool) {
	v, ok := a.vals[o]
	return v, ok
}

// parseArgs parses args the way getopt(3C) does with optstr ("QO:R:" means
// flag -Q and options -O and -R that take an argument), with one tolerance:
// Solaris getopt stops at the first operand, but this parser goes on, so
// `scha_resource_get -O EXTENSION Probe_timeout -R r` works too. An operand
// never starts with "-" (RGM names start with a letter, node IDs are
// numbers), so nothing a script can mean is lost; "--" ends the options
// for whoever needs it.
//
// As with getopt: flags group (-QO optag), an argument may be attached
// (-Ooptag) or the next word (even one starting with "-"), and a repeated
// option's last value wins.
func parseArgs(optstr string, argv []string) (*args, error) {
	a := &args{vals: make(map[byte]string, 4)}
	for i := 0; i < len(argv); i++ {
		w := argv[i]
		if w == "--" {
			a.operands = append(a.operands, argv[i+1:]...)
			break
		}
		if len(w) < 2 || w[0] != '-' {
			a.operands = append(a.operands, w)
			continue
		}
		for j := 1; j < len(w); j++ {
			c := w[j]
			takesArg, known := optSpec(optstr, c)
			if !known {
				return nil, &usageError{fmt.Sprintf("unknown option -%s", printable(c))}
			}
			if !takesArg {
				a.vals[c] = ""
				continue
			}
			switch {
			case j+1 < len(w):
				a.vals[c] = w[j+1:]
			case i+1 < len(argv):
				i++
				a.vals[c] = argv[i]
			default:
				return nil, &usageError{fmt.Sprintf("option -%c requires an argument", c)}
			}
			break
		}
	}
	return a, nil
}

// optSpec reports whether c is an option of optstr and whether it takes an
// argument.
func optSpec(optstr string, c byte) (takesArg, known bool) {
	if c == ':' {
		return false, false
	}
	for i := 0; i < len(optstr); i++ {
		if optstr[i] == c {
			return i+1 < len(optstr) && optstr[i+1] == ':', true
		}
	}
	return false, false
}

func printable(c byte) string {
	if c >= 0x21 && c < 0x7f {
		return string(rune(c))
	}
	return fmt.Sprintf("\\x%02x", c)
}
