package schacmd

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/openrgm/openrgm/pkg/scha"
)

// TestManPages checks that each command's man page lists every optag or
// tag, every option and every exit status, so the pages cannot fall behind
// the tables.
func TestManPages(t *testing.T) {
	for _, c := range commands {
		b, err := os.ReadFile(filepath.Join("..", "..", "man", "man1", c.name+".1"))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		page := string(b)
		// Entries are ".B NAME" lines after ".TP".
		entries := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^\.TP\n\.B ([A-Z_]+)$`).FindAllStringSubmatch(page, -1) {
			entries[m[1]] = true
		}
		var want []string
		switch {
		case c.kind != "":
			for _, tg := range scha.Tags(c.kind) {
				want = append(want, tg.Name)
			}
		case c.name == "scha_control":
			want = scha.ControlTags()
		}
		for _, w := range want {
			if !entries[w] {
				t.Errorf("%s.1 does not describe %s", c.name, w)
			}
		}
		for i := 0; i < len(c.optstr); i++ {
			o := c.optstr[i]
			if o == ':' {
				continue
			}
			if !strings.Contains(page, `\-`+string(o)) {
				t.Errorf("%s.1 does not mention -%c", c.name, o)
			}
		}
		for code := scha.ErrNoErr; code <= scha.MaxErrCode; code++ {
			if !strings.Contains(page, ".BR "+strconv.Itoa(int(code))+" \" "+code.Symbol()+" ") {
				t.Errorf("%s.1 EXIT STATUS lacks %d %s", c.name, code, code.Symbol())
			}
		}
		if strings.Contains(page, " \n") || strings.Contains(page, "\n\n") {
			t.Errorf("%s.1 has trailing spaces or blank lines", c.name)
		}
	}
}
