package main

import (
	"bufio"
	"net"
	"strconv"
	"sync/atomic"
)

// connStats counts what the process's accepted connections carried, whatever their
// protocol: the bytes on the wire of the service's side of every link (TCP payload: HTTP/1.1
// or HTTP/2 framing, headers and bodies; not TCP/IP headers), and how many connections are
// open. /metrics shows them as gauntlet_connections_open, gauntlet_connections_accepted_total,
// gauntlet_connection_received_bytes_total and gauntlet_connection_sent_bytes_total.
var connStats struct {
	open, accepted, received, sent atomic.Int64
}

// countingListener counts the connections ln accepts and the bytes they carry in connStats.
type countingListener struct{ net.Listener }

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	connStats.accepted.Add(1)
	connStats.open.Add(1)
	return &countingConn{Conn: c}, nil
}

type countingConn struct {
	net.Conn
	closed atomic.Bool
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	connStats.received.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	connStats.sent.Add(int64(n))
	return n, err
}

func (c *countingConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		connStats.open.Add(-1)
	}
	return c.Conn.Close()
}

// writeConnStats writes connStats in the Prometheus text format.
func writeConnStats(bw *bufio.Writer) {
	for _, f := range []struct {
		name, kind, help string
		v                *atomic.Int64
	}{
		{"gauntlet_connections_open", "gauge", "Connections to this service open now, every protocol.", &connStats.open},
		{"gauntlet_connections_accepted_total", "counter", "Connections this service accepted.", &connStats.accepted},
		{"gauntlet_connection_received_bytes_total", "counter", "Bytes received on accepted connections (TCP payload).", &connStats.received},
		{"gauntlet_connection_sent_bytes_total", "counter", "Bytes sent on accepted connections (TCP payload).", &connStats.sent},
	} {
		bw.WriteString("# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.kind + "\n")
		bw.WriteString(f.name + " " + strconv.FormatInt(f.v.Load(), 10) + "\n")
	}
}
