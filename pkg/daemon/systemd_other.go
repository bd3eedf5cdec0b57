//go:build !linux

package daemon

import "net"

// SystemdFromEnv returns the zero Systemd: there is no systemd here.
func SystemdFromEnv() (Systemd, error) { return Systemd{}, nil }

// ActivationListener returns nil: there is no socket activation here.
func ActivationListener() (net.Listener, error) { return nil, nil }

type noNotifier struct{}

func newNotifier(string) sdNotifier { return noNotifier{} }

func (noNotifier) send(string) error { return nil }
func (noNotifier) close()            {}
