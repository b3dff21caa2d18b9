package local

import (
	"fmt"
	"time"
)

// SlowCloseParams are the parameters of "slow_close".
type SlowCloseParams struct {
	Service string        `yaml:"service"`
	Delay   time.Duration `yaml:"delay"`
}

func (p SlowCloseParams) service() string { return p.Service }

func init() {
	registerProxyKind("slow_close", func(p SlowCloseParams, _ uint64) (Toxic, error) {
		if p.Delay <= 0 {
			return nil, fmt.Errorf("delay must be > 0, got %s", p.Delay)
		}
		return &SlowClose{Delay: p.Delay}, nil
	})
}

// SlowClose waits Delay before the proxy closes a connection (after the other side
// closed, or after a response marked Connection: close).
type SlowClose struct {
	Delay time.Duration
}

func (t *SlowClose) prepare(p *Proxy) error {
	if t.Delay < 0 {
		return p.errorf("slow_close: negative delay")
	}
	return nil
}

func (t *SlowClose) apply(s *state) {
	s.slowClose = max(s.slowClose, t.Delay)
}
