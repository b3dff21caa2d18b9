package local

import (
	"fmt"
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

// parseDirection parses "upstream", "downstream", "both"; "" is Downstream.
func parseDirection(s string) (Direction, error) {
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

// Toxic is a disturbance attached to a Proxy: one of *latency, *bandwidth, *reset,
// *blackhole, *httpError, *httpDelay, *slowClose, each defined in its kind's file. A
// toxic value may be attached to one proxy at a time and must not be modified while
// attached.
type Toxic interface {
	// prepare validates the toxic for proxy p and sets up its generator or buckets.
	prepare(p *Proxy) error
	// apply adds the toxic to s, the snapshot the proxy's connections read.
	apply(s *state)
}

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
