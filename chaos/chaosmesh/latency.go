package chaosmesh

import (
	"errors"
	"fmt"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// latencyParams are the parameters of latency on a Kubernetes service.
type latencyParams struct {
	Service string        `yaml:"service"`
	Delay   time.Duration `yaml:"delay"`
	Jitter  time.Duration `yaml:"jitter"`
	// Correlation is netem's correlation with the previous delay, 0–100 (%).
	Correlation float64 `yaml:"correlation"`
	// Direction must be downstream (the default): NetworkChaos delays the pods'
	// egress, i.e. their responses.
	Direction    string `yaml:"direction"`
	Distribution string `yaml:"distribution"`
}

func init() { register("latency", buildLatency) }

// buildLatency maps latency to a NetworkChaos delay of what the pods send.
func buildLatency(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p latencyParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	switch {
	case p.Delay <= 0:
		return nil, errors.New("delay must be > 0")
	case p.Jitter < 0:
		return nil, errors.New("jitter must be >= 0")
	case p.Direction != "" && p.Direction != "downstream":
		return nil, fmt.Errorf("direction %q: NetworkChaos delays what the pods send (their responses); use downstream, or put the fault on the calling service", p.Direction)
	case p.Distribution != "" && p.Distribution != "uniform":
		return nil, fmt.Errorf("distribution %q: NetworkChaos has netem's default jitter only; remove distribution", p.Distribution)
	}
	if err := percent("correlation", p.Correlation); err != nil {
		return nil, err
	}
	return network(v1alpha1.DelayAction, sel, dur, v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{
		Latency: netemDuration(p.Delay), Jitter: netemDuration(p.Jitter), Correlation: floatStr(p.Correlation),
	}}), nil
}
