//go:build !(linux && amd64)

package schacmd

const entrySymbol = ""
