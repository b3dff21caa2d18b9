//go:build unix

package runners

import (
	"net"
	"syscall"
)

// peerGone reports whether an idle connection can no longer carry a
// request: the service closed or reset it, or sent something unasked (a
// 408 before closing, say). It peeks without waiting, as net/http's client
// would have noticed with the read it keeps on every idle connection.
func peerGone(nc net.Conn) bool {
	if fc, ok := nc.(*fastConn); ok {
		nc = fc.Conn
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	gone := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// Nothing to read (EAGAIN) is the one sign of a live idle
		// connection: data, end of stream (no error) and errors are not.
		gone = err != syscall.EAGAIN && err != syscall.EINTR
		return true
	})
	return gone || err != nil
}
