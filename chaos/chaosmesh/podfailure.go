package chaosmesh

import (
	"errors"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

func init() { register("pod_failure", buildPodFailure) }

// buildPodFailure maps pod_failure to a PodChaos pod-failure for the fault's length.
func buildPodFailure(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	if err := f.Decode(&serviceParams{}); err != nil {
		return nil, err
	}
	if dur == nil {
		return nil, errors.New("pod_failure needs for: how long the pods stay failed")
	}
	return &v1alpha1.PodChaos{Spec: v1alpha1.PodChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel},
		Action: v1alpha1.PodFailureAction, Duration: dur}}, nil
}
