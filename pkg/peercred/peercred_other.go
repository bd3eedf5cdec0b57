//go:build !linux

package peercred

import "errors"

// Of is Linux-only (SO_PEERCRED); elsewhere it always fails.
func Of(any) (Cred, error) {
	return Cred{}, errors.New("peer credentials: not supported on this system")
}

// OfFD is Linux-only (SO_PEERCRED); elsewhere it always fails.
func OfFD(int) (Cred, error) {
	return Cred{}, errors.New("peer credentials: not supported on this system")
}
