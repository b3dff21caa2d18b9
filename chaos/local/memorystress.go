package local

import (
	"fmt"
	"strconv"

	"github.com/gauntletbench/gauntlet/chaos"
)

// memoryStressParams are the parameters of "memory_stress".
type memoryStressParams struct {
	Bytes chaos.ByteSize `yaml:"bytes"`
}

func init() {
	chaos.Register("memory_stress", func(env chaos.Env, decode func(any) error) (chaos.Fault, error) {
		var p memoryStressParams
		if err := decode(&p); err != nil {
			return nil, err
		}
		if p.Bytes <= 0 {
			return nil, fmt.Errorf("memory_stress: bytes must be > 0")
		}
		return newStress("memory_stress", env.Journal(), "memory", "--bytes", strconv.FormatInt(int64(p.Bytes), 10)), nil
	})
}
