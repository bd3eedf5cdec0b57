package methods

import (
	"maps"
	"testing"
)

// ParseArgs reads back what ValidateArgv writes, and refuses what no
// rgmd writes.
func TestParseArgs(t *testing.T) {
	argv := ValidateArgv("r1", "T", "g1", true, map[string]string{"Retry_count": "2"}, map[string]string{"Port": "80=x"}, map[string]string{"Nodelist": "n1"})
	a, err := ParseArgs(argv)
	if err != nil {
		t.Fatal(err)
	}
	if a.Resource != "r1" || a.Type != "T" || a.Group != "g1" || !a.Creating ||
		!maps.Equal(a.R, map[string]string{"retry_count": "2"}) || !maps.Equal(a.X, map[string]string{"port": "80=x"}) {
		t.Fatalf("ParseArgs(%q) = %+v", argv, a)
	}
	for _, bad := range [][]string{{"-R"}, {"-q", "x"}, {"-R", "r", "extra"}} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
}
