package getopt

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		opts  []Opt
		rest  []string
		valid bool
	}{
		{[]string{"-t", "5", "sleep", "-a"}, []Opt{{'t', "5"}}, []string{"sleep", "-a"}, true},
		{[]string{"-t5", "-av", "x"}, []Opt{{'t', "5"}, {'a', ""}, {'v', ""}}, []string{"x"}, true},
		{[]string{"-at", "7", "--", "-x"}, []Opt{{'a', ""}, {'t', "7"}}, []string{"-x"}, true},
		{[]string{"-", "x"}, nil, []string{"-", "x"}, true},
		{[]string{}, nil, []string{}, true},
		{[]string{"-t"}, nil, nil, false},
		{[]string{"-z"}, nil, nil, false},
		{[]string{"-:"}, nil, nil, false},
	} {
		opts, rest, err := Parse(tc.args, "avt:")
		if (err == nil) != tc.valid {
			t.Errorf("Parse(%q): err %v, want valid %v", tc.args, err, tc.valid)
			continue
		}
		if err == nil && (!reflect.DeepEqual(opts, tc.opts) || !reflect.DeepEqual(rest, tc.rest)) {
			t.Errorf("Parse(%q) = %v, %q; want %v, %q", tc.args, opts, rest, tc.opts, tc.rest)
		}
	}
}
