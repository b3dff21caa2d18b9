package main

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"
)

// h2Preface is how every HTTP/2 connection with prior knowledge, and so every cleartext
// gRPC connection, begins; no HTTP/1.x request line begins with "PRI ".
const h2Preface = "PRI "

// sniffTimeout bounds the wait for a new connection's first bytes.
const sniffTimeout = 10 * time.Second

// splitListener serves one port to two servers: connections that open with the HTTP/2
// preface go to h2 (the gRPC server), all others to h1 (the HTTP server). run accepts until
// the listener is closed; each connection's first bytes are read on a goroutine of its
// own, so a slow client holds up no one else.
type splitListener struct {
	ln     net.Listener
	h1, h2 *chanListener
	done   chan struct{}
	once   sync.Once
}

func newSplitListener(ln net.Listener) *splitListener {
	s := &splitListener{ln: ln, done: make(chan struct{})}
	s.h1 = &chanListener{conns: make(chan net.Conn), split: s}
	s.h2 = &chanListener{conns: make(chan net.Conn), split: s}
	return s
}

// run accepts connections until Close and returns the listener's error.
func (s *splitListener) run() error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		go s.route(c)
	}
}

// route reads the first bytes of c and hands it to the server they belong to.
func (s *splitListener) route(c net.Conn) {
	buf := make([]byte, len(h2Preface))
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	n, err := io.ReadFull(c, buf)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil && n == 0 {
		c.Close()
		return
	}
	to := s.h1
	if string(buf[:n]) == h2Preface {
		to = s.h2
	}
	select {
	case to.conns <- &sniffedConn{Conn: c, head: bytes.NewReader(buf[:n])}:
	case <-s.done:
		c.Close()
	}
}

// Close stops accepting; connections already handed over stay with their server.
func (s *splitListener) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		err = s.ln.Close()
	})
	return err
}

// chanListener is one server's side of a splitListener. Closing it closes the whole split:
// a server stops accepting only when the process shuts down.
type chanListener struct {
	conns chan net.Conn
	split *splitListener
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.split.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error   { return l.split.Close() }
func (l *chanListener) Addr() net.Addr { return l.split.ln.Addr() }

// sniffedConn gives back the bytes route read before the rest of the connection.
type sniffedConn struct {
	net.Conn
	head *bytes.Reader
}

func (c *sniffedConn) Read(p []byte) (int, error) {
	if c.head.Len() > 0 {
		return c.head.Read(p)
	}
	return c.Conn.Read(p)
}
