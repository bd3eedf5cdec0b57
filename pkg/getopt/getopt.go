// Package getopt parses command lines the way POSIX getopt(3) does, which
// is what the Solaris tools pmfadm and hatimerun use: single-letter
// options that may be grouped (-av), an option's argument attached or
// separate (-t5, -t 5), "--" to end the options, and parsing stops at the
// first operand so that the monitored command's own options are left
// alone. pflag cannot stop there and treats -h as help.
package getopt

import (
	"fmt"
	"strings"
)

// Opt is one option found, in command-line order.
type Opt struct {
	Name byte
	Arg  string // "" for an option without argument
}

// Parse parses args (without the program name) by spec, in getopt(3)'s
// syntax: each letter is an option, a letter followed by ':' takes an
// argument. It returns the options in order and the operands.
func Parse(args []string, spec string) ([]Opt, []string, error) {
	var opts []Opt
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(spec, c)
			if k < 0 || c == ':' {
				return nil, nil, fmt.Errorf("unknown option -%c", c)
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				arg := a[j+1:]
				if arg == "" {
					if i+1 >= len(args) {
						return nil, nil, fmt.Errorf("option -%c needs an argument", c)
					}
					i++
					arg = args[i]
				}
				opts = append(opts, Opt{Name: c, Arg: arg})
				break
			}
			opts = append(opts, Opt{Name: c})
		}
	}
	return opts, args[i:], nil
}
