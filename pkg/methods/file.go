package methods

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/openrgm/openrgm/pkg/execfile"
)

// Resolve returns the absolute path of a method: method itself if it is
// absolute, else method relative to baseDir (the type's RT_basedir). It
// fails, naming the file and the reason, if the method is relative and
// there is no usable baseDir, or if the file is missing, not a regular
// file or executable by nobody. Ownership rules are CheckFile's.
func Resolve(baseDir, method string) (string, error) {
	if method == "" {
		return "", errors.New("empty method path")
	}
	p := method
	if !filepath.IsAbs(p) {
		if baseDir == "" {
			return "", fmt.Errorf("method %q is a relative path and the resource type has no RT_basedir", method)
		}
		if !filepath.IsAbs(baseDir) {
			return "", fmt.Errorf("method %q: RT_basedir %q is not an absolute path", method, baseDir)
		}
		p = filepath.Join(baseDir, p)
	}
	p = filepath.Clean(p)
	if _, err := checkExecutable(p); err != nil {
		return "", err
	}
	return p, nil
}

// CheckFile checks that path may be run as a method by a daemon whose
// effective uid is euid. Everyone needs an existing regular file with an
// execute bit set. When euid is 0 the file must also be owned by root and
// writable by neither group nor others, and so must every directory from
// / down to it (a sticky one may be writable, as /tmp is) and a script's
// interpreter, because whoever can change any of them would otherwise
// gain root through rgmd (pkg/execfile, which Run uses to execute the
// file it checked). Symbolic links are followed, and checked where they
// lie.
func CheckFile(path string, euid int) error {
	p, err := execfile.Open(path, "", euid == 0)
	if err != nil {
		return fmt.Errorf("method file %w", err)
	}
	p.Close()
	return nil
}

func checkExecutable(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("method file %s does not exist: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("method file %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("method file %s is not a regular file (%s)", path, fi.Mode().Type())
	case fi.Mode().Perm()&0o111 == 0:
		return nil, fmt.Errorf("method file %s is not executable (mode %04o)", path, fi.Mode().Perm())
	}
	return fi, nil
}
