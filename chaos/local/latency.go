package local

import (
	"fmt"
	"math"
	"time"
)

// latencyParams are the parameters of "latency".
type latencyParams struct {
	Service string        `yaml:"service"`
	Delay   time.Duration `yaml:"delay"`
	// Jitter is the half-width of a uniform deviation or the standard deviation of a
	// normal one.
	Jitter time.Duration `yaml:"jitter"`
	// Distribution is "uniform" (default) or "normal".
	Distribution string `yaml:"distribution"`
	// Direction is "downstream" (responses, default), "upstream" (requests) or "both"
	// (the delay applies once each way).
	Direction string `yaml:"direction"`
}

func (p latencyParams) service() string { return p.Service }

func init() {
	registerProxyKind("latency", newLatency)
}

func newLatency(p latencyParams, seed uint64) (Toxic, error) {
	if p.Delay < 0 || p.Jitter < 0 {
		return nil, fmt.Errorf("delay and jitter must be >= 0")
	}
	if p.Delay == 0 && p.Jitter == 0 {
		return nil, fmt.Errorf("delay must be > 0")
	}
	dir, err := parseDirection(p.Direction)
	if err != nil {
		return nil, err
	}
	l := &latency{Delay: p.Delay, Jitter: p.Jitter, Direction: dir, Seed: seed}
	switch p.Distribution {
	case "", "uniform":
	case "normal":
		l.Normal = true
	default:
		return nil, fmt.Errorf("distribution %q: use uniform or normal", p.Distribution)
	}
	return l, nil
}

// latency delays traffic: each HTTP request (HTTP mode) or each chunk read from the socket
// (TCP mode) waits Delay plus a random deviation, in Direction. Jitter is the half-width of
// a uniform deviation, or the standard deviation of a normal one; delays never go below 0.
type latency struct {
	Delay, Jitter time.Duration
	// Normal selects the normal distribution instead of uniform.
	Normal    bool
	Direction Direction
	Seed      uint64
	rng       lockedRand
}

func (t *latency) prepare(p *Proxy) error {
	if t.Delay < 0 || t.Jitter < 0 {
		return p.errorf("latency: negative delay or jitter")
	}
	if t.Direction&Both == 0 {
		t.Direction = Downstream
	}
	t.rng.init(t.Seed, 1)
	return nil
}

func (t *latency) apply(s *state) {
	if t.Direction&Upstream != 0 {
		s.latency[up] = append(s.latency[up], t)
	}
	if t.Direction&Downstream != 0 {
		s.latency[down] = append(s.latency[down], t)
	}
}

// draw returns the delay for one request or chunk.
func (l *latency) draw() time.Duration {
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
