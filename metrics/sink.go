package metrics

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// A Sink takes a run's Results from the goroutines that produce them with
// no channel operation and no shared lock per result: each goroutine puts
// into a Buffer of its own, and the recorder collects every buffer a few
// times per interval. Each buffer also tells the recorder the intended send
// time below which it may still put results (its hold), so the recorder
// knows when every request meant for an interval has finished (Collect's
// watermark) and can attribute requests by intended send time with bounded
// memory.
//
// A Sink derived with Derive shifts the times of its results (and holds)
// and may pass each result through a function, on the putting goroutine,
// before it reaches the parent: runners that run other runners (phases,
// probes, copies to a results file) wrap their inner runner's sink that way.
type Sink struct {
	root   *sinkRoot
	parent *Sink
	shift  time.Duration // added to every time before the parent sees it
	total  time.Duration // the shift from this sink's times to the root's
	fn     func(*Result) // run after the shift; nil for none
}

type sinkRoot struct {
	mu   sync.Mutex
	bufs []*Buffer
}

// NewSink returns an empty root sink.
func NewSink() *Sink { return &Sink{root: &sinkRoot{}} }

// Derive returns a sink whose results reach s with every time shifted by
// shift and then passed through fn (when not nil). fn runs on the goroutine
// that puts the result, so it must be safe for concurrent use.
func (s *Sink) Derive(shift time.Duration, fn func(*Result)) *Sink {
	return &Sink{root: s.root, parent: s, shift: shift, total: s.total + shift, fn: fn}
}

// Buffer returns a new buffer for the exclusive use of one goroutine; it
// holds nothing back until Hold. Close it when the goroutine is done.
func (s *Sink) Buffer() *Buffer {
	b := &Buffer{sink: s, res: make([]Result, 0, minBuffer)}
	b.hold.Store(holdNone)
	s.root.mu.Lock()
	s.root.bufs = append(s.root.bufs, b)
	s.root.mu.Unlock()
	return b
}

// A buffer starts with room for minBuffer results and grows, once, to what
// its goroutine puts between two collections; one that has grown beyond
// maxBufferKept is replaced once collected, so that a worker's memory does
// not stay at its largest burst. The open model keeps a buffer per worker,
// up to a thousand of them while a target stalls: at 8 results (448 bytes)
// rather than 64 (4 KB), such a pool holds 3.8 MB less heap.
const (
	minBuffer     = 8
	maxBufferKept = 1024
)

// Hold values: holdNone holds nothing back; holdPending holds everything
// (a Hold at the current time is being taken).
const (
	holdNone    = math.MaxInt64
	holdPending = math.MinInt64
)

// A Buffer collects the Results of one goroutine. Put, Hold, HoldNow,
// Release and Close are for that goroutine; the recorder collects the
// buffer concurrently.
type Buffer struct {
	sink *Sink
	mu   sync.Mutex
	res  []Result
	// hold is the root-time intended send time below which this buffer
	// may still put results.
	hold   atomic.Int64
	closed bool
}

// Put adds one result. The derived sinks' functions see it in place, so
// that r itself never moves to the heap.
func (b *Buffer) Put(r Result) {
	b.mu.Lock()
	b.res = append(b.res, r)
	p := &b.res[len(b.res)-1]
	for s := b.sink; s.parent != nil; s = s.parent {
		p.Intended += s.shift
		p.Sent += s.shift
		p.End += s.shift
		if s.fn != nil {
			s.fn(p)
		}
	}
	b.mu.Unlock()
}

// Hold promises that every result put from now until the next Hold,
// Release or Close is intended at or after intended (in the sink's times).
func (b *Buffer) Hold(intended time.Duration) {
	b.hold.Store(int64(intended + b.sink.total))
}

// HoldNow holds back the results of a request about to be sent now, whose
// intended send time is its actual send time: it returns that time, since
// t0, after holding it, so a collection in between cannot miss it.
func (b *Buffer) HoldNow(t0 time.Time) time.Duration {
	b.hold.Store(holdPending)
	now := time.Since(t0)
	b.hold.Store(int64(now + b.sink.total))
	return now
}

// IntervalEnd returns, in the buffer's times, when the record interval
// holding t (a time in the buffer's times) ends.
func (b *Buffer) IntervalEnd(t time.Duration) time.Duration {
	root := t + b.sink.total
	return (root/IntervalLength+1)*IntervalLength - b.sink.total
}

// Release holds nothing back until the next Hold: the goroutine puts no
// result meanwhile.
func (b *Buffer) Release() { b.hold.Store(holdNone) }

// Close releases the buffer for good; the recorder drops it once collected.
func (b *Buffer) Close() {
	b.hold.Store(holdNone)
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// Collect appends every result put so far to dst and returns it with the
// watermark: the earliest intended send time (in root times) a result not
// yet collected may still have, math.MaxInt64 when no buffer holds any
// back. Only the root sink collects.
func (s *Sink) Collect(dst []Result) ([]Result, time.Duration) {
	r := s.root
	r.mu.Lock()
	defer r.mu.Unlock()
	mark := int64(holdNone)
	keep := r.bufs[:0]
	for _, b := range r.bufs {
		// The hold is read before the results: a result put before a
		// later hold is then either collected now or held back.
		mark = min(mark, b.hold.Load())
		b.mu.Lock()
		dst = append(dst, b.res...)
		if cap(b.res) > maxBufferKept {
			// A burst (the recorder held up) grew it: let it go.
			b.res = make([]Result, 0, minBuffer)
		} else {
			b.res = b.res[:0]
		}
		closed := b.closed
		b.mu.Unlock()
		if !closed {
			keep = append(keep, b)
		}
	}
	clear(r.bufs[len(keep):])
	r.bufs = keep
	return dst, time.Duration(mark)
}
