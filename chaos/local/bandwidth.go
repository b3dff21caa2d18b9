package local

import (
	"fmt"

	"github.com/gauntletbench/gauntlet/chaos"
)

// bandwidthParams are the parameters of "bandwidth".
type bandwidthParams struct {
	Service        string         `yaml:"service"`
	BytesPerSecond chaos.ByteSize `yaml:"bytes_per_second"`
	Direction      string         `yaml:"direction"`
}

func (p bandwidthParams) service() string { return p.Service }

func init() {
	registerProxyKind("bandwidth", newBandwidth)
}

func newBandwidth(p bandwidthParams, _ uint64) (Toxic, error) {
	if p.BytesPerSecond <= 0 {
		return nil, fmt.Errorf("bytes_per_second must be > 0")
	}
	dir, err := parseDirection(p.Direction)
	return &bandwidth{BytesPerSecond: int64(p.BytesPerSecond), Direction: dir}, err
}

// bandwidth limits the proxy's throughput in Direction to BytesPerSecond, shared by all
// its connections (a token bucket with a burst of a tenth of a second).
type bandwidth struct {
	BytesPerSecond int64
	Direction      Direction
	bucket         [2]*bucket // per direction: 0 upstream, 1 downstream
}

func (t *bandwidth) prepare(p *Proxy) error {
	if t.BytesPerSecond <= 0 {
		return p.errorf("bandwidth: bytes per second must be > 0")
	}
	if t.Direction&Both == 0 {
		t.Direction = Downstream
	}
	for i, d := range []Direction{Upstream, Downstream} {
		if t.Direction&d != 0 {
			t.bucket[i] = newBucket(t.BytesPerSecond)
		}
	}
	return nil
}

func (t *bandwidth) apply(s *state) {
	for i, b := range t.bucket {
		if b != nil {
			s.bandwidth[i] = append(s.bandwidth[i], b)
		}
	}
}
