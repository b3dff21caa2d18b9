package chaosmesh

import (
	"errors"
	"math"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// terminateParams are the parameters of terminate on a Kubernetes service.
type terminateParams struct {
	Service string        `yaml:"service"`
	Grace   time.Duration `yaml:"grace"`
}

func init() { register("terminate", buildTerminate) }

// buildTerminate maps terminate to a PodChaos pod-kill with a grace period.
func buildTerminate(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p terminateParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	if p.Grace < 0 {
		return nil, errors.New("grace must be >= 0")
	}
	if p.Grace == 0 {
		p.Grace = 10 * time.Second
	}
	return &v1alpha1.PodChaos{Spec: v1alpha1.PodChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel},
		Action: v1alpha1.PodKillAction, GracePeriod: int64(math.Ceil(p.Grace.Seconds()))}}, nil
}
