package chaosmesh

import (
	"errors"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// killParams are the parameters of kill on a Kubernetes service.
type killParams struct {
	Service string `yaml:"service"`
	// Container kills one container of the pods (container-kill) instead of the pods.
	Container    string        `yaml:"container"`
	RestartAfter time.Duration `yaml:"restart_after"`
}

func init() { register("kill", buildKill) }

// buildKill maps kill to a PodChaos pod-kill, or a container-kill when container is set.
func buildKill(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p killParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	if p.RestartAfter != 0 {
		return nil, errors.New("restart_after: on Kubernetes the pod's controller restarts a killed pod; remove restart_after")
	}
	pc := &v1alpha1.PodChaos{Spec: v1alpha1.PodChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel},
		Action: v1alpha1.PodKillAction}}
	if p.Container != "" {
		pc.Spec.Action = v1alpha1.ContainerKillAction
		pc.Spec.ContainerNames = []string{p.Container}
	}
	return pc, nil
}
