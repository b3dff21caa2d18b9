package chaosmesh

import (
	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

func init() { register("blackhole", buildBlackhole) }

// buildBlackhole maps blackhole to a NetworkChaos partition from everything.
func buildBlackhole(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	if err := f.Decode(&serviceParams{}); err != nil {
		return nil, err
	}
	nc := network(v1alpha1.PartitionAction, sel, dur, v1alpha1.TcParameter{})
	// Everything the pods send is dropped: their clients hang until they time
	// out, as behind gauntlet's local blackhole.
	nc.Spec.ExternalTargets = []string{"0.0.0.0/0"}
	return nc, nil
}
