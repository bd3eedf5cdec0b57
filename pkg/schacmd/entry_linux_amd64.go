package schacmd

const entrySymbol = "github.com/openrgm/openrgm/pkg/schacmd.entry"

// entry is in entry_linux_amd64.s; nothing calls it, the kernel jumps to it.
func entry()
