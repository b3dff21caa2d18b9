package local

import (
	"bytes"
	"net"
	"time"
)

// delayLineChunks bounds the chunks a delay line holds: a full line stops the reading side,
// as a full network buffer would, so memory stays at most this many chunks per direction.
const delayLineChunks = 64

// delayLine is TCP mode's latency: each chunk read leaves for dst its delay after it was
// read, while the reading goes on, so the delay holds for every byte as on a long link. A
// connection that multiplexes calls (HTTP/2, gRPC) then sees each call delayed once, not
// queued behind the delays of the calls before it. Chunks leave in the order they came.
// One goroutine writes; pipe owns the line and ends it with finish or stop.
type delayLine struct {
	c    *conn
	dst  *net.TCPConn
	q    chan delayed
	done chan struct{} // closed when the writer has returned
	shut bool          // q is closed
}

type delayed struct {
	b   []byte
	due time.Time
	// detached is the state's: when a toxic is detached the chunks held under it leave at
	// once, as a reverted fault lets traffic through.
	detached <-chan struct{}
}

func newDelayLine(c *conn, dst *net.TCPConn) *delayLine {
	l := &delayLine{c: c, dst: dst, q: make(chan delayed, delayLineChunks), done: make(chan struct{})}
	go l.run()
	return l
}

// push queues a copy of b to leave at due, or once the chunk before it has left if that is
// later; false when the connection closed first.
func (l *delayLine) push(b []byte, due time.Time, st *state) bool {
	select {
	case l.q <- delayed{b: bytes.Clone(b), due: due, detached: st.detached}:
		return true
	case <-l.c.ctx.Done():
		return false
	case <-l.done:
		return false
	}
}

func (l *delayLine) run() {
	defer close(l.done)
	for d := range l.q {
		if wait := time.Until(d.due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-d.detached:
				t.Stop()
			case <-l.c.ctx.Done():
				t.Stop()
				return
			}
		}
		if _, err := l.dst.Write(d.b); err != nil {
			l.c.close()
			return
		}
	}
}

// finish waits until every chunk held has left; false when the connection closed first.
func (l *delayLine) finish() bool {
	l.stop()
	return l.c.ctx.Err() == nil
}

// stop ends the line: the writer sends what is held, unless the connection is closed, and
// returns. It is safe to call more than once.
func (l *delayLine) stop() {
	if !l.shut {
		l.shut = true
		close(l.q)
	}
	<-l.done
}
