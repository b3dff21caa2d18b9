package chaosmesh

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gauntletbench/gauntlet/chaos"
)

// httpErrorParams are the parameters of http_error on a Kubernetes service.
type httpErrorParams struct {
	Service string   `yaml:"service"`
	Status  int      `yaml:"status"`
	Rate    *float64 `yaml:"rate"`
	// Abort drops the connection instead of answering with Status.
	Abort bool `yaml:"abort"`
	// Path and Method narrow the fault to matching requests.
	Path   string `yaml:"path"`
	Method string `yaml:"method"`
}

func init() { register("http_error", buildHTTPError) }

// buildHTTPError maps http_error to an HTTPChaos that aborts requests or replaces the status of responses.
func buildHTTPError(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error) {
	var p httpErrorParams
	if err := f.Decode(&p); err != nil {
		return nil, err
	}
	if err := allRequests(p.Rate); err != nil {
		return nil, err
	}
	hc, err := httpChaos(f.Pods, sel, dur, p.Path, p.Method)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Abort && p.Status != 0:
		return nil, errors.New("set status or abort, not both")
	case p.Abort:
		hc.Spec.Target = v1alpha1.PodHttpRequest
		hc.Spec.Abort = new(true)
	default:
		code := int32(cmp.Or(p.Status, 503))
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("status %d is not an HTTP status code", code)
		}
		hc.Spec.Target = v1alpha1.PodHttpResponse
		hc.Spec.Replace = &v1alpha1.PodHttpChaosReplaceActions{Code: &code}
	}
	return hc, nil
}
