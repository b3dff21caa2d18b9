package local

import (
	"fmt"
	"time"
)

// slowCloseParams are the parameters of "slow_close".
type slowCloseParams struct {
	Service string        `yaml:"service"`
	Delay   time.Duration `yaml:"delay"`
}

func (p slowCloseParams) service() string { return p.Service }

func init() {
	registerProxyKind("slow_close", func(p slowCloseParams, _ uint64) (Toxic, error) {
		if p.Delay <= 0 {
			return nil, fmt.Errorf("delay must be > 0, got %s", p.Delay)
		}
		return &slowClose{Delay: p.Delay}, nil
	})
}

// slowClose waits Delay before the proxy closes a connection (after the other side
// closed, or after a response marked Connection: close).
type slowClose struct {
	Delay time.Duration
}

func (t *slowClose) prepare(p *Proxy) error {
	if t.Delay < 0 {
		return p.errorf("slow_close: negative delay")
	}
	return nil
}

func (t *slowClose) apply(s *state) {
	s.slowClose = max(s.slowClose, t.Delay)
}
