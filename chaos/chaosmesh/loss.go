package chaosmesh

import (
	"errors"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// lossParams are the parameters of loss on a Kubernetes service.
type lossParams struct {
	Service string `yaml:"service"`
	// Percent of packets dropped, 0–100.
	Percent     float64 `yaml:"percent"`
	Correlation float64 `yaml:"correlation"`
}

func init() { register("loss", buildLoss) }

// buildLoss maps loss to a NetworkChaos loss of what the pods send.
func buildLoss(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p lossParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	if p.Percent <= 0 {
		return nil, errors.New("percent must be > 0 (the share of packets dropped, up to 100)")
	}
	if err := errors.Join(percent("percent", p.Percent), percent("correlation", p.Correlation)); err != nil {
		return nil, err
	}
	return network(v1alpha1.LossAction, sel, dur, v1alpha1.TcParameter{Loss: &v1alpha1.LossSpec{
		Loss: floatStr(p.Percent), Correlation: floatStr(p.Correlation),
	}}), nil
}
