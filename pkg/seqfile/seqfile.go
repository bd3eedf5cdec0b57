// Package seqfile is the change counter rgmd publishes next to its socket
// (Path): a one-page file whose counter rgmd raises after every change to
// what a query can answer, so that a client holding an answer can tell,
// without asking rgmd, that the answer is still current. The C library
// uses it to answer a repeated scha_*_get on an open handle from memory
// (capi/cache.go); a get after any change still asks rgmd.
//
// A stale answer is worse than a slow one, so a client trusts the counter
// only while the process it is talking to holds a lock on the file
// (Reader.Load compares the lock's holder with the connection's peer):
//   - rgmd that stopped or crashed holds no lock, and a new rgmd is another
//     process, so neither's counter vouches for answers from before;
//   - a file someone else made, or left writable, is refused by Create, so
//     nobody but rgmd's user can move the counter back.
//
// The layout (Size bytes): magic at 0, the counter at 8 in the machine's
// byte order (only processes on this machine map it).
package seqfile

// Path is where the daemon serving socket publishes its counter.
func Path(socket string) string { return socket + ".seq" }
