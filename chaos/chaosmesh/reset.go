package chaosmesh

import (
	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

func init() { register("reset", buildReset) }

// buildReset maps reset to an HTTPChaos abort of requests.
func buildReset(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	if err := f.Decode(&serviceParams{}); err != nil {
		return nil, err
	}
	hc, err := httpChaos(f.Pods, sel, dur, "", "")
	if err != nil {
		return nil, err
	}
	hc.Spec.Target = v1alpha1.PodHttpRequest
	hc.Spec.Abort = new(true)
	return hc, nil
}
