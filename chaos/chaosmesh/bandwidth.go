package chaosmesh

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// bandwidthParams are the parameters of bandwidth on a Kubernetes service.
type bandwidthParams struct {
	Service        string         `yaml:"service"`
	BytesPerSecond chaos.ByteSize `yaml:"bytes_per_second"`
	Direction      string         `yaml:"direction"`
	// Limit is the queue length in bytes and Buffer the token bucket size in
	// bytes (tbf); defaults 20971520 and 10000, as in Chaos Mesh's examples.
	Limit  uint32 `yaml:"limit"`
	Buffer uint32 `yaml:"buffer"`
}

func init() { register("bandwidth", buildBandwidth) }

// buildBandwidth maps bandwidth to a NetworkChaos bandwidth limit (tbf) on what the pods send.
func buildBandwidth(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p bandwidthParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	switch {
	case p.BytesPerSecond <= 0:
		return nil, errors.New("bytes_per_second must be > 0")
	case p.Direction != "" && p.Direction != "downstream":
		return nil, fmt.Errorf("direction %q: NetworkChaos shapes what the pods send; use downstream", p.Direction)
	}
	if p.Limit == 0 {
		p.Limit = 20971520
	}
	if p.Buffer == 0 {
		p.Buffer = 10000
	}
	// Chaos Mesh's "bps" is bytes per second.
	return network(v1alpha1.BandwidthAction, sel, dur, v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{
		Rate: strconv.FormatInt(int64(p.BytesPerSecond), 10) + "bps", Limit: p.Limit, Buffer: p.Buffer,
	}}), nil
}
