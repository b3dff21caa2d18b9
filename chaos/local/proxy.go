package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gauntletbench/gauntlet/chaos"
)

// Mode is how a Proxy handles its connections.
type Mode int

const (
	// TCP pipes bytes both ways, one upstream connection per client connection.
	TCP Mode = iota + 1
	// HTTP parses HTTP/1.1 requests on each client connection (keep-alive and pipelining
	// aware) and forwards them over a pool of upstream connections, so per-request faults
	// apply on keep-alive connections too. No HTTP/2, no Upgrade.
	HTTP
)

// ParseMode parses "tcp" or "http".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "tcp":
		return TCP, nil
	case "http":
		return HTTP, nil
	}
	return 0, fmt.Errorf("proxy mode %q: use tcp or http", s)
}

func (m Mode) String() string {
	switch m {
	case TCP:
		return "tcp"
	case HTTP:
		return "http"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// dialTimeout bounds a connection attempt to the upstream.
const dialTimeout = 5 * time.Second

// Proxy is a fault proxy on 127.0.0.1 in front of one upstream. Toxics attach and detach
// at runtime without restarting it and, where it makes sense, act on connections that are
// already open. Its methods are safe for concurrent use.
type Proxy struct {
	name     string
	upstream string
	mode     Mode
	ln       net.Listener

	idleMu sync.Mutex
	idle   []*upConn // HTTP mode: upstream connections ready for reuse

	state atomic.Pointer[state]

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	toxics []attached
	nextID uint64
	conns  map[*conn]struct{}
	closed bool

	nConns, nRequests, nDisrupted atomic.Uint64
}

var _ chaos.Proxy = (*Proxy)(nil)

type attached struct {
	id uint64
	t  Toxic
}

// state is an immutable snapshot of the attached toxics, read on the hot path with one
// atomic load. active is false when nothing is attached.
type state struct {
	active     bool
	latency    [2][]*latency // by dirIndex
	bandwidth  [2][]*bucket
	reset      bool
	blackhole  bool
	httpErrors []*httpError
	httpDelays []*httpDelay
	slowClose  time.Duration
	// detached is closed when a toxic is detached from this snapshot, waking requests
	// that sleep or hang because of it.
	detached chan struct{}
}

const (
	up   = 0
	down = 1
)

// NewProxy listens on 127.0.0.1:0 and forwards to upstream ("127.0.0.1:PORT"). name is
// the service it stands for. Close it when done.
func NewProxy(name, upstream string, mode Mode) (*Proxy, error) {
	if mode != TCP && mode != HTTP {
		return nil, fmt.Errorf("proxy %s: invalid mode %v", name, mode)
	}
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		return nil, fmt.Errorf("proxy %s: upstream %q: %w", name, upstream, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", name, err)
	}
	p := &Proxy{name: name, upstream: upstream, mode: mode, ln: ln, conns: map[*conn]struct{}{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.state.Store(&state{detached: make(chan struct{})})
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Name returns the service name the proxy was created for.
func (p *Proxy) Name() string { return p.name }

// Addr returns the listening address, "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns "http://" + Addr().
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// Upstream returns the address the proxy forwards to.
func (p *Proxy) Upstream() string { return p.upstream }

// Mode returns the proxy's mode.
func (p *Proxy) Mode() Mode { return p.mode }

// Stats are a proxy's counters since it started.
type Stats struct {
	// Connections accepted.
	Connections uint64
	// Requests read (HTTP mode).
	Requests uint64
	// Disrupted counts requests (HTTP mode) or connections (TCP mode, reset only) a
	// toxic acted on: errors, delays, resets, swallowed requests.
	Disrupted uint64
	// Open is the number of client connections open now.
	Open int
}

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	open := len(p.conns)
	p.mu.Unlock()
	return Stats{Connections: p.nConns.Load(), Requests: p.nRequests.Load(), Disrupted: p.nDisrupted.Load(), Open: open}
}

// Attach adds t and returns its id for Detach once it is in effect: a reset has reset
// every open connection by then. HTTP-only toxics on a TCP proxy, invalid values and a
// closed proxy are errors.
func (p *Proxy) Attach(t Toxic) (uint64, error) {
	if err := p.prepare(t); err != nil {
		return 0, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return 0, fmt.Errorf("proxy %s: closed", p.name)
	}
	p.nextID++
	id := p.nextID
	p.toxics = append(p.toxics, attached{id, t})
	old := p.state.Load()
	p.state.Store(p.build(old.detached))
	var victims []*conn
	if _, isReset := t.(*reset); isReset {
		for c := range p.conns {
			victims = append(victims, c)
		}
	}
	p.mu.Unlock()
	for _, c := range victims {
		p.nDisrupted.Add(1)
		c.reset()
	}
	return id, nil
}

// Detach removes the toxic id; requests waiting on it (a delay, a blackhole) are released.
// It reports whether id was attached.
func (p *Proxy) Detach(id uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := -1
	for j, a := range p.toxics {
		if a.id == id {
			i = j
		}
	}
	if i < 0 {
		return false
	}
	p.toxics = append(p.toxics[:i:i], p.toxics[i+1:]...)
	old := p.state.Load()
	p.state.Store(p.build(make(chan struct{})))
	close(old.detached)
	return true
}

// Attached reports whether the toxic id is attached.
func (p *Proxy) Attached(id uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.toxics {
		if a.id == id {
			return true
		}
	}
	return false
}

// Close stops listening, closes every connection, detaches every toxic and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.toxics = nil
	old := p.state.Load()
	p.state.Store(&state{detached: make(chan struct{})})
	close(old.detached)
	p.mu.Unlock()

	p.cancel()
	err := p.ln.Close()
	for _, c := range conns {
		c.close()
	}
	p.wg.Wait()
	p.idleMu.Lock()
	idle := p.idle
	p.idle = nil
	p.idleMu.Unlock()
	for _, u := range idle {
		u.close()
	}
	return err
}

// prepare validates t and sets up its generator or buckets.
func (p *Proxy) prepare(t Toxic) error {
	if t == nil {
		return p.errorf("nil toxic")
	}
	return t.prepare(p)
}

// errorf returns an error about the proxy.
func (p *Proxy) errorf(format string, args ...any) error {
	return fmt.Errorf("proxy %s: "+format, append([]any{p.name}, args...)...)
}

// build makes the snapshot of p.toxics; p.mu is held.
func (p *Proxy) build(detached chan struct{}) *state {
	s := &state{active: len(p.toxics) > 0, detached: detached}
	for _, a := range p.toxics {
		a.t.apply(s)
	}
	return s
}

// delay is the sum of the latency draws for direction d.
func (s *state) delay(d int) time.Duration {
	var total time.Duration
	for _, l := range s.latency[d] {
		total += l.draw()
	}
	return total
}

// throttle returns how long n bytes must wait under the bandwidth limits of direction d.
func (s *state) throttle(d, n int) time.Duration {
	var wait time.Duration
	for _, b := range s.bandwidth[d] {
		wait = max(wait, b.take(n))
	}
	return wait
}

// chunk returns the read size for direction d: the whole buffer unless a bandwidth
// limit asks for less.
func (s *state) chunk(d, size int) int {
	for _, b := range s.bandwidth[d] {
		size = min(size, b.chunk())
	}
	return size
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	var backoff time.Duration
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// EMFILE and friends: back off rather than spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
			case <-p.ctx.Done():
				return
			}
			continue
		}
		backoff = 0
		p.nConns.Add(1)
		c := newConn(p, nc.(*net.TCPConn))
		if !p.track(c) {
			nc.Close()
			return
		}
		if p.state.Load().reset {
			p.nDisrupted.Add(1)
			c.reset()
			p.untrack(c)
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			if p.mode == HTTP {
				p.serveHTTPConn(c)
			} else {
				p.serveTCPConn(c)
			}
		}()
	}
}

func (p *Proxy) track(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c *conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// conn is one client connection and, in TCP mode, its upstream connection.
type conn struct {
	p        *Proxy
	client   *net.TCPConn
	upstream atomic.Pointer[net.TCPConn] // closed with the connection
	up       *upConn                     // HTTP mode: pinned upstream, owned by the serving goroutine
	ctx      context.Context             // done once the connection is closing
	cancel   context.CancelFunc
	once     sync.Once
}

func newConn(p *Proxy, nc *net.TCPConn) *conn {
	c := &conn{p: p, client: nc}
	c.ctx, c.cancel = context.WithCancel(p.ctx)
	return c
}

// close closes both sides; safe to call more than once.
func (c *conn) close() {
	c.once.Do(func() {
		c.cancel()
		c.client.Close()
		if u := c.upstream.Load(); u != nil {
			u.Close()
		}
	})
}

// reset closes both sides with an RST instead of a FIN.
func (c *conn) reset() {
	c.once.Do(func() {
		c.cancel()
		_ = c.client.SetLinger(0)
		c.client.Close()
		if u := c.upstream.Load(); u != nil {
			_ = u.SetLinger(0)
			u.Close()
		}
	})
}

// sleep waits d, or less if a toxic of st is detached; it returns false if the connection
// closed meanwhile.
func (c *conn) sleep(st *state, d time.Duration) bool {
	if d <= 0 {
		return c.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-st.detached:
		return c.ctx.Err() == nil
	case <-c.ctx.Done():
		return false
	}
}

// pause waits d regardless of detaches (bandwidth debt must be paid); false if the
// connection closed meanwhile.
func (c *conn) pause(d time.Duration) bool {
	if d <= 0 {
		return c.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}
