package chaosmesh

import (
	"cmp"
	"errors"
	"strconv"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// memoryStressParams are the parameters of memory_stress on a Kubernetes service.
type memoryStressParams struct {
	Service   string         `yaml:"service"`
	Bytes     chaos.ByteSize `yaml:"bytes"`
	Workers   int            `yaml:"workers"`
	Container string         `yaml:"container"`
}

func init() { register("memory_stress", buildMemoryStress) }

// buildMemoryStress maps memory_stress to a StressChaos memory stressor in the pods.
func buildMemoryStress(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p memoryStressParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	p.Workers = cmp.Or(p.Workers, 1)
	if p.Bytes <= 0 || p.Workers < 0 {
		return nil, errors.New("bytes must be > 0 (memory per worker) and workers > 0")
	}
	return stress(sel, dur, p.Container, &v1alpha1.Stressors{MemoryStressor: &v1alpha1.MemoryStressor{
		Stressor: v1alpha1.Stressor{Workers: p.Workers}, Size: strconv.FormatInt(int64(p.Bytes), 10) + "B"}}), nil
}
