package chaosmesh

import (
	"errors"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// httpDelayParams are the parameters of http_delay on a Kubernetes service.
type httpDelayParams struct {
	Service string        `yaml:"service"`
	Delay   time.Duration `yaml:"delay"`
	Rate    *float64      `yaml:"rate"`
	Path    string        `yaml:"path"`
	Method  string        `yaml:"method"`
}

func init() { register("http_delay", buildHTTPDelay) }

// buildHTTPDelay maps http_delay to an HTTPChaos delay of requests.
func buildHTTPDelay(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p httpDelayParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	if err := allRequests(p.Rate); err != nil {
		return nil, err
	}
	if p.Delay <= 0 {
		return nil, errors.New("delay must be > 0")
	}
	hc, err := httpChaos(f.Pods, sel, dur, p.Path, p.Method)
	if err != nil {
		return nil, err
	}
	hc.Spec.Target = v1alpha1.PodHttpRequest
	hc.Spec.Delay = new(p.Delay.String())
	return hc, nil
}
