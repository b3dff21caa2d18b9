package local

import (
	"fmt"
)

// httpErrorParams are the parameters of "http_error".
type httpErrorParams struct {
	Service string `yaml:"service"`
	// Status defaults to 503.
	Status int `yaml:"status"`
	// Rate is the fraction of requests to fail, 0–1; default 1.
	Rate *float64 `yaml:"rate"`
}

func (p httpErrorParams) service() string { return p.Service }

func init() {
	registerProxyKind("http_error", func(p httpErrorParams, seed uint64) (Toxic, error) {
		if p.Status == 0 {
			p.Status = 503
		}
		if p.Status < 100 || p.Status > 599 {
			return nil, fmt.Errorf("status must be 100–599, got %d", p.Status)
		}
		rate, err := rateOf(p.Rate)
		return &httpError{Status: p.Status, Rate: rate, Seed: seed}, err
	})
}

// httpError answers a fraction Rate (0–1) of requests with Status and a body saying the
// error was injected, without forwarding them. The draw is per request from a generator
// seeded with Seed, so keep-alive connections see the rate too. HTTP mode only.
type httpError struct {
	Status int
	Rate   float64
	Seed   uint64
	rng    lockedRand
}

func (t *httpError) prepare(p *Proxy) error {
	if p.mode != HTTP {
		return p.errorf("http_error needs a proxy in http mode")
	}
	if t.Status < 100 || t.Status > 599 || t.Rate < 0 || t.Rate > 1 {
		return p.errorf("http_error: status must be 100–599 and rate 0–1")
	}
	t.rng.init(t.Seed, 2)
	return nil
}

func (t *httpError) apply(s *state) {
	s.httpErrors = append(s.httpErrors, t)
}
