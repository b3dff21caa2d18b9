//go:build !unix

package runners

import "net"

// peerGone reports whether an idle connection can no longer carry a
// request; off Unix it cannot tell, and says no.
func peerGone(net.Conn) bool { return false }
