package local

import (
	"fmt"
	"strconv"

	"github.com/gauntletbench/gauntlet/chaos"
)

// memoryLimitParams are the parameters of "memory_limit": the service's process group
// may allocate at most Bytes more (cgroup v1 leaves memory charged before the move where
// it was); beyond it the kernel reclaims and finally OOM-kills.
type memoryLimitParams struct {
	Service string         `yaml:"service"`
	Bytes   chaos.ByteSize `yaml:"bytes"`
}

func init() {
	registerLimit("memory_limit", "memory", func(decode func(any) error) (string, map[int]map[string]string, error) {
		var p memoryLimitParams
		if err := decode(&p); err != nil {
			return "", nil, err
		}
		if p.Bytes <= 0 {
			return "", nil, fmt.Errorf("memory_limit: bytes must be > 0")
		}
		b := strconv.FormatInt(int64(p.Bytes), 10)
		return p.Service, map[int]map[string]string{
			1: {"memory.limit_in_bytes": b},
			2: {"memory.max": b},
		}, nil
	})
}
