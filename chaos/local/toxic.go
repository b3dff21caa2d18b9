package local

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Direction says which way through the proxy a toxic acts.
type Direction uint8

const (
	// Downstream is upstream → client: responses. The default.
	Downstream Direction = 1 << iota
	// Upstream is client → upstream: requests.
	Upstream
	// Both is either way; a delay then applies once in each direction.
	Both = Upstream | Downstream
)

// ParseDirection parses "upstream", "downstream", "both"; "" is Downstream.
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "", "downstream":
		return Downstream, nil
	case "upstream":
		return Upstream, nil
	case "both":
		return Both, nil
	}
	return 0, fmt.Errorf("direction %q: use upstream, downstream or both", s)
}

func (d Direction) String() string {
	switch d {
	case Upstream:
		return "upstream"
	case Downstream:
		return "downstream"
	case Both:
		return "both"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Toxic is a disturbance attached to a Proxy: one of *Latency, *Bandwidth, *Reset,
// *Blackhole, *HTTPError, *HTTPDelay, *SlowClose. A toxic value may be attached to one
// proxy at a time and must not be modified while attached.
type Toxic interface{ toxic() }

// Latency delays traffic: each HTTP request (HTTP mode) or each chunk read from the socket
// (TCP mode) waits Delay plus a random deviation, in Direction. Jitter is the half-width of
// a uniform deviation, or the standard deviation of a normal one; delays never go below 0.
type Latency struct {
	Delay, Jitter time.Duration
	// Normal selects the normal distribution instead of uniform.
	Normal    bool
	Direction Direction
	Seed      uint64
	rng       lockedRand
}

// Bandwidth limits the proxy's throughput in Direction to BytesPerSecond, shared by all
// its connections (a token bucket with a burst of a tenth of a second).
type Bandwidth struct {
	BytesPerSecond int64
	Direction      Direction
	bucket         [2]*bucket // per direction: 0 upstream, 1 downstream
}

// Reset sends a TCP RST (SO_LINGER 0, then close) on every existing connection when
// attached and on every new connection while attached.
type Reset struct{}

// Blackhole accepts connections and reads and discards what clients send, never
// answering, until detached; responses in flight are discarded too. In HTTP mode a
// swallowed request is lost: its connection is closed when the blackhole is detached.
type Blackhole struct{}

// HTTPError answers a fraction Rate (0–1) of requests with Status and a body saying the
// error was injected, without forwarding them. The draw is per request from a generator
// seeded with Seed, so keep-alive connections see the rate too. HTTP mode only.
type HTTPError struct {
	Status int
	Rate   float64
	Seed   uint64
	rng    lockedRand
}

// HTTPDelay delays a fraction Rate (0–1) of requests by Delay before forwarding them.
// HTTP mode only.
type HTTPDelay struct {
	Delay time.Duration
	Rate  float64
	Seed  uint64
	rng   lockedRand
}

// SlowClose waits Delay before the proxy closes a connection (after the other side
// closed, or after a response marked Connection: close).
type SlowClose struct {
	Delay time.Duration
}

func (*Latency) toxic()   {}
func (*Bandwidth) toxic() {}
func (*Reset) toxic()     {}
func (*Blackhole) toxic() {}
func (*HTTPError) toxic() {}
func (*HTTPDelay) toxic() {}
func (*SlowClose) toxic() {}

// lockedRand is a seeded generator safe for concurrent use.
type lockedRand struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func (r *lockedRand) init(seed uint64, stream uint64) {
	r.rng = rand.New(rand.NewPCG(seed, stream))
}

func (r *lockedRand) float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.Float64()
}

func (r *lockedRand) normFloat64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.NormFloat64()
}

// draw returns the delay for one request or chunk.
func (l *Latency) draw() time.Duration {
	if l.Jitter <= 0 {
		return l.Delay
	}
	var dev float64
	if l.Normal {
		dev = l.rng.normFloat64() * float64(l.Jitter)
	} else {
		dev = (2*l.rng.float64() - 1) * float64(l.Jitter)
	}
	return time.Duration(math.Max(0, float64(l.Delay)+dev))
}

// hit reports whether this request is one of the Rate fraction.
func hit(r *lockedRand, rate float64) bool {
	if rate >= 1 {
		return true
	}
	return rate > 0 && r.float64() < rate
}

// bucket is a token bucket that may go into debt: a taker waits until its bytes are paid.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // bytes per second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate int64) *bucket {
	burst := max(float64(rate)/10, 1)
	return &bucket{rate: float64(rate), burst: burst, tokens: burst, last: time.Now()}
}

// take takes n bytes and returns how long the caller must wait before sending them.
func (b *bucket) take(n int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// chunk is the largest read worth doing under the limit, so one read never buys a long
// stall.
func (b *bucket) chunk() int { return max(int(b.burst), 512) }
