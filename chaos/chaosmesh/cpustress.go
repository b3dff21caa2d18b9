package chaosmesh

import (
	"cmp"
	"errors"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// cpuStressParams are the parameters of cpu_stress on a Kubernetes service.
type cpuStressParams struct {
	Service   string `yaml:"service"`
	Workers   int    `yaml:"workers"`
	Load      int    `yaml:"load"`
	Container string `yaml:"container"`
}

func init() { register("cpu_stress", buildCPUStress) }

// buildCPUStress maps cpu_stress to a StressChaos cpu stressor in the pods.
func buildCPUStress(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p cpuStressParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	p.Workers = cmp.Or(p.Workers, 1)
	p.Load = cmp.Or(p.Load, 100)
	if p.Workers < 0 || p.Load < 0 || p.Load > 100 {
		return nil, errors.New("workers must be > 0 and load 1–100")
	}
	return stress(sel, dur, p.Container, &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{
		Stressor: v1alpha1.Stressor{Workers: p.Workers}, Load: &p.Load}}), nil
}
