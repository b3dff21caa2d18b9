package local

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// bufPool holds the copy buffers of TCP mode.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// serveTCPConn dials the upstream and pipes both ways until both directions ended.
func (p *Proxy) serveTCPConn(c *conn) {
	var d net.Dialer
	d.Timeout = dialTimeout
	nc, err := d.DialContext(c.ctx, "tcp", p.upstream)
	if err != nil {
		// The client sees the upstream's refusal as a reset, as it would without us.
		c.reset()
		return
	}
	u := nc.(*net.TCPConn)
	c.upstream.Store(u)
	if c.ctx.Err() != nil { // reset or closed while dialling
		c.close()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.pipe(c, up, c.client, u)
	}()
	p.pipe(c, down, u, c.client)
	<-done
	c.close()
}

// pipe copies src to dst through the toxics of direction dir. With nothing attached it is
// a plain read/write loop over a pooled buffer. On EOF it half-closes dst so the other
// direction can finish; on any other error it closes the connection.
func (p *Proxy) pipe(c *conn, dir int, src, dst *net.TCPConn) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	// line delays the direction's bytes once latency applies to it; from then on every chunk
	// goes through it (without delay when no latency is attached) to keep their order.
	var line *delayLine
	defer func() {
		if line != nil {
			line.stop()
		}
	}()
	for {
		b := buf
		if st := p.state.Load(); st.active {
			b = buf[:st.chunk(dir, len(buf))]
		}
		n, err := src.Read(b)
		if n > 0 {
			st := p.state.Load()
			delayed := st.active && len(st.latency[dir]) > 0
			switch {
			case st.active && !p.disturb(c, st, dir, n):
				if c.ctx.Err() != nil {
					return
				}
				// Swallowed by a blackhole: keep reading, forward nothing.
			case delayed || line != nil:
				if line == nil {
					line = newDelayLine(c, dst)
				}
				due := time.Now()
				if delayed {
					due = due.Add(st.delay(dir))
				}
				if !line.push(b[:n], due, st) {
					return
				}
			default:
				if _, werr := dst.Write(b[:n]); werr != nil {
					c.close()
					return
				}
			}
		}
		if err != nil {
			if line != nil && !line.finish() {
				return
			}
			if errors.Is(err, io.EOF) && c.ctx.Err() == nil {
				if st := p.state.Load(); st.slowClose > 0 && !c.sleep(st, st.slowClose) {
					return
				}
				_ = dst.CloseWrite()
				return
			}
			c.close()
			return
		}
	}
}

// disturb applies the toxics of st but latency (pipe's delay line) to n bytes going in
// direction dir; false means the bytes must not be forwarded (blackhole, or the connection
// was reset or closed).
func (p *Proxy) disturb(c *conn, st *state, dir, n int) bool {
	if st.reset {
		p.nDisrupted.Add(1)
		c.reset()
		return false
	}
	if st.blackhole {
		return false
	}
	if len(st.bandwidth[dir]) > 0 && !c.pause(st.throttle(dir, n)) {
		return false
	}
	return true
}
