package trust

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// File names inside the directory given to the Save and Load functions.
// A CA and a node identity may share one directory: both write the same
// ca.pem.
const (
	CACertFile   = "ca.pem"   // the cluster CA certificate, mode 0644
	CAKeyFile    = "ca.key"   // the CA private key, mode 0600
	NodeCertFile = "node.pem" // this node's certificate, mode 0644
	NodeKeyFile  = "node.key" // this node's private key, mode 0600
)

const (
	certMode = 0o644
	keyMode  = 0o600
	dirMode  = 0o700
)

// writeFileAtomic writes b to dir/name with mode perm so that a reader, or
// a crash, sees either the old file or the whole new one: a temporary file
// in the same directory is written, synced, given its mode and renamed
// over the name, and the directory is synced so the rename survives a
// power loss. The temporary file is created 0600, so a key is never
// readable by others, not even for a moment.
func writeFileAtomic(dir, name string, b []byte, perm os.FileMode) (err error) {
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// readKeyFile reads a private key file after checking that only this
// process's user can read it: a key others can read, or one that belongs
// to another user (who could replace it), is refused with the reason, so
// an operator who copied files around learns it at once instead of
// running a cluster whose trust anyone on the machine can borrow. The
// file checked is the one opened, so nothing can be swapped in between.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is accessible by group or others (mode %04o); a private key must be mode 0600: chmod 600 %s", path, perm, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return nil, fmt.Errorf("key file %s is owned by uid %d, not by this process's uid %d; refusing a key another user controls", path, st.Uid, os.Geteuid())
	}
	return io.ReadAll(io.LimitReader(f, 1<<20))
}

// readCertFile reads a certificate file; it is public, so its mode is not
// checked.
func readCertFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<20))
}

const (
	pemCert  = "CERTIFICATE"
	pemKey   = "PRIVATE KEY" // PKCS #8
	pemECKey = "EC PRIVATE KEY"
	pemCSR   = "CERTIFICATE REQUEST"
)

func encodeCertPEM(der []byte) []byte { return pemEncode(pemCert, der) }

func pemEncode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func encodeKeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemKey, Bytes: der}), nil
}

// decodeOnePEM returns the DER of the single PEM block of type typ in b;
// anything else (no block, another type, trailing blocks) is an error,
// so a file holding two certificates is not silently half-read.
func decodeOnePEM(b []byte, typ string) ([]byte, error) {
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("no PEM %s block found", typ)
	}
	if block.Type != typ {
		return nil, fmt.Errorf("PEM block is %q, want %q", block.Type, typ)
	}
	if extra, _ := pem.Decode(rest); extra != nil {
		return nil, fmt.Errorf("more than one PEM block (want a single %s)", typ)
	}
	return block.Bytes, nil
}

// ParseCertificatePEM parses a PEM file holding exactly one certificate.
func ParseCertificatePEM(b []byte) (*x509.Certificate, error) {
	der, err := decodeOnePEM(b, pemCert)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// ParseKeyPEM parses a PEM-encoded ECDSA private key, PKCS #8 (what this
// package writes) or SEC 1 ("EC PRIVATE KEY", what openssl ecparam
// writes).
func ParseKeyPEM(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM private key block found")
	}
	switch block.Type {
	case pemKey:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key is a %T, want an ECDSA key", k)
		}
		return ek, nil
	case pemECKey:
		return x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block is %q, want %q", block.Type, pemKey)
	}
}
