package local

import (
	"fmt"
	"time"
)

// httpDelayParams are the parameters of "http_delay".
type httpDelayParams struct {
	Service string        `yaml:"service"`
	Delay   time.Duration `yaml:"delay"`
	// Rate is the fraction of requests to delay, 0–1; default 1.
	Rate *float64 `yaml:"rate"`
}

func (p httpDelayParams) service() string { return p.Service }

func init() {
	registerProxyKind("http_delay", func(p httpDelayParams, seed uint64) (Toxic, error) {
		if p.Delay <= 0 {
			return nil, fmt.Errorf("delay must be > 0, got %s", p.Delay)
		}
		rate, err := rateOf(p.Rate)
		return &httpDelay{Delay: p.Delay, Rate: rate, Seed: seed}, err
	})
}

// httpDelay delays a fraction Rate (0–1) of requests by Delay before forwarding them.
// HTTP mode only.
type httpDelay struct {
	Delay time.Duration
	Rate  float64
	Seed  uint64
	rng   lockedRand
}

func (t *httpDelay) prepare(p *Proxy) error {
	if p.mode != HTTP {
		return p.errorf("http_delay needs a proxy in http mode")
	}
	if t.Delay < 0 || t.Rate < 0 || t.Rate > 1 {
		return p.errorf("http_delay: delay must be >= 0 and rate 0–1")
	}
	t.rng.init(t.Seed, 3)
	return nil
}

func (t *httpDelay) apply(s *state) {
	s.httpDelays = append(s.httpDelays, t)
}
