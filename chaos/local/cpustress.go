package local

import (
	"fmt"
	"strconv"

	"github.com/gauntletbench/gauntlet/chaos"
)

// cpuStressParams are the parameters of "cpu_stress".
type cpuStressParams struct {
	// Workers is the number of busy threads; default 1.
	Workers int `yaml:"workers"`
	// Load is the percentage of each worker's time spent busy, 1–100; default 100.
	Load int `yaml:"load"`
}

func init() {
	chaos.Register("cpu_stress", func(env chaos.Env, decode func(any) error) (chaos.Fault, error) {
		p := cpuStressParams{}
		if err := decode(&p); err != nil {
			return nil, err
		}
		if p.Workers == 0 {
			p.Workers = 1
		}
		if p.Load == 0 {
			p.Load = 100
		}
		if p.Workers < 1 || p.Load < 1 || p.Load > 100 {
			return nil, fmt.Errorf("cpu_stress: workers must be >= 1 and load 1–100")
		}
		return newStress("cpu_stress", env.Journal(), "cpu", "--workers", strconv.Itoa(p.Workers), "--load", strconv.Itoa(p.Load)), nil
	})
}
