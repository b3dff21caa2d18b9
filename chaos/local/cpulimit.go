package local

import (
	"fmt"
	"strconv"
)

// cpuLimitParams are the parameters of "cpu_limit": the service's process group may
// use at most Cores CPUs (CFS quota), e.g. 0.5.
type cpuLimitParams struct {
	Service string  `yaml:"service"`
	Cores   float64 `yaml:"cores"`
}

func init() {
	registerLimit("cpu_limit", "cpu", func(decode func(any) error) (string, map[int]map[string]string, error) {
		var p cpuLimitParams
		if err := decode(&p); err != nil {
			return "", nil, err
		}
		if p.Cores <= 0 {
			return "", nil, fmt.Errorf("cpu_limit: cores must be > 0")
		}
		quota := max(int64(p.Cores*cfsPeriod), 1000)
		return p.Service, map[int]map[string]string{
			1: {"cpu.cfs_period_us": strconv.Itoa(cfsPeriod), "cpu.cfs_quota_us": strconv.FormatInt(quota, 10)},
			2: {"cpu.max": fmt.Sprintf("%d %d", quota, cfsPeriod)},
		}, nil
	})
}
