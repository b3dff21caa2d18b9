// Package chaosmesh turns a scenario's faults on services that run on Kubernetes into
// Chaos Mesh objects (chaos-mesh.org/v1alpha1) built from Chaos Mesh's own API types:
// NetworkChaos for latency, loss, bandwidth and blackhole (a partition), PodChaos for
// kill, terminate and pod_failure, StressChaos for cpu_stress and memory_stress, and
// HTTPChaos for http_error, http_delay and reset (an abort). Every object passes the API
// package's own defaulting and validation before it is printed or created, but carries
// only the fields gauntlet sets: the cluster's Chaos Mesh webhook defaults the rest.
//
// Render prints the objects for `kubectl apply`; a Cluster with a client creates each
// object when its fault is due, waits until Chaos Mesh reports it injected, and deletes
// it when the fault ends or the run stops, with a bounded wait for its finalizer.
//
// This package and the Job renderer are the only parts of gauntlet that import
// Kubernetes code.
package chaosmesh

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/gauntletbench/gauntlet/chaos"
)

func init() {
	// The API package logs every validation through controller-runtime's logger;
	// without one set, controller-runtime prints a warning with a stack trace.
	ctrllog.SetLogger(logr.Discard())
}

// Labels and annotations gauntlet puts on the objects it builds.
const (
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	LabelScenario   = "gauntlet.dev/scenario"
	LabelFault      = "gauntlet.dev/fault"
	LabelRun        = "gauntlet.dev/run"
	AnnotationAt    = "gauntlet.dev/at"
	AnnotationEvery = "gauntlet.dev/every"
	AnnotationTimes = "gauntlet.dev/times"
)

// Scheme returns a runtime scheme with Chaos Mesh's kinds registered.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic("chaosmesh: register the Chaos Mesh scheme: " + err.Error())
	}
	return s
}

// Object is a Chaos Mesh experiment: a client.Object with Chaos Mesh's status model.
type Object interface {
	client.Object
	v1alpha1.InnerObject
}

// The parameters each kind accepts on a Kubernetes service. They mirror the local
// kinds' parameters where Chaos Mesh can express them; what it cannot express (a
// request ratio for HTTP faults, latency on requests only) is rejected, not ignored.
type (
	latencyParams struct {
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
	lossParams struct {
		Service string `yaml:"service"`
		// Percent of packets dropped, 0–100.
		Percent     float64 `yaml:"percent"`
		Correlation float64 `yaml:"correlation"`
	}
	bandwidthParams struct {
		Service        string         `yaml:"service"`
		BytesPerSecond chaos.ByteSize `yaml:"bytes_per_second"`
		Direction      string         `yaml:"direction"`
		// Limit is the queue length in bytes and Buffer the token bucket size in
		// bytes (tbf); defaults 20971520 and 10000, as in Chaos Mesh's examples.
		Limit  uint32 `yaml:"limit"`
		Buffer uint32 `yaml:"buffer"`
	}
	serviceParams struct {
		Service string `yaml:"service"`
	}
	killParams struct {
		Service string `yaml:"service"`
		// Container kills one container of the pods (container-kill) instead of the pods.
		Container    string        `yaml:"container"`
		RestartAfter time.Duration `yaml:"restart_after"`
	}
	terminateParams struct {
		Service string        `yaml:"service"`
		Grace   time.Duration `yaml:"grace"`
	}
	cpuStressParams struct {
		Service   string `yaml:"service"`
		Workers   int    `yaml:"workers"`
		Load      int    `yaml:"load"`
		Container string `yaml:"container"`
	}
	memoryStressParams struct {
		Service   string         `yaml:"service"`
		Bytes     chaos.ByteSize `yaml:"bytes"`
		Workers   int            `yaml:"workers"`
		Container string         `yaml:"container"`
	}
	httpErrorParams struct {
		Service string   `yaml:"service"`
		Status  int      `yaml:"status"`
		Rate    *float64 `yaml:"rate"`
		// Abort drops the connection instead of answering with Status.
		Abort bool `yaml:"abort"`
		// Path and Method narrow the fault to matching requests.
		Path   string `yaml:"path"`
		Method string `yaml:"method"`
	}
	httpDelayParams struct {
		Service string        `yaml:"service"`
		Delay   time.Duration `yaml:"delay"`
		Rate    *float64      `yaml:"rate"`
		Path    string        `yaml:"path"`
		Method  string        `yaml:"method"`
	}
)

// Build returns the Chaos Mesh object of one fault, defaulted and validated by the API
// package, with metadata naming it after the scenario and the fault. Its name has no
// occurrence suffix; Cluster faults add one per injection.
func Build(f chaos.ClusterFault) (Object, error) {
	obj, err := build(f)
	if err != nil {
		return nil, err
	}
	obj.SetName(objectName(f.Scenario, f.Name))
	obj.SetNamespace(f.Pods.Namespace)
	labels := map[string]string{
		LabelManagedBy: "gauntlet",
		LabelScenario:  labelValue(f.Scenario),
		LabelFault:     labelValue(f.Name),
	}
	if f.Run != "" {
		labels[LabelRun] = labelValue(f.Run)
	}
	obj.SetLabels(labels)
	if err := check(obj); err != nil {
		return nil, fmt.Errorf("Chaos Mesh rejects the %s object: %w", kindOf(obj), err)
	}
	return obj, nil
}

func build(f chaos.ClusterFault) (Object, error) {
	sel := podSelector(f.Pods)
	dur := duration(f.For)
	switch f.Kind {
	case "latency":
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
	case "loss":
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
	case "bandwidth":
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
	case "blackhole":
		if err := f.Decode(&serviceParams{}); err != nil {
			return nil, err
		}
		nc := network(v1alpha1.PartitionAction, sel, dur, v1alpha1.TcParameter{})
		// Everything the pods send is dropped: their clients hang until they time
		// out, as behind gauntlet's local blackhole.
		nc.Spec.ExternalTargets = []string{"0.0.0.0/0"}
		return nc, nil
	case "kill":
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
	case "terminate":
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
	case "pod_failure":
		if err := f.Decode(&serviceParams{}); err != nil {
			return nil, err
		}
		if dur == nil {
			return nil, errors.New("pod_failure needs for: how long the pods stay failed")
		}
		return &v1alpha1.PodChaos{Spec: v1alpha1.PodChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel},
			Action: v1alpha1.PodFailureAction, Duration: dur}}, nil
	case "cpu_stress":
		var p cpuStressParams
		if err := f.Decode(&p); err != nil {
			return nil, err
		}
		p.Workers = cmp.Or(p.Workers, 1)
		p.Load = cmp.Or(p.Load, 100)
		if p.Workers < 0 || p.Load < 0 || p.Load > 100 {
			return nil, errors.New("workers must be > 0 and load 1–100")
		}
		return stress(sel, dur, p.Container, &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{
			Stressor: v1alpha1.Stressor{Workers: p.Workers}, Load: &p.Load}}), nil
	case "memory_stress":
		var p memoryStressParams
		if err := f.Decode(&p); err != nil {
			return nil, err
		}
		p.Workers = cmp.Or(p.Workers, 1)
		if p.Bytes <= 0 || p.Workers < 0 {
			return nil, errors.New("bytes must be > 0 (memory per worker) and workers > 0")
		}
		return stress(sel, dur, p.Container, &v1alpha1.Stressors{MemoryStressor: &v1alpha1.MemoryStressor{
			Stressor: v1alpha1.Stressor{Workers: p.Workers}, Size: strconv.FormatInt(int64(p.Bytes), 10) + "B"}}), nil
	case "http_error":
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
	case "http_delay":
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
	case "reset":
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
	return nil, fmt.Errorf("%s has no Chaos Mesh counterpart", f.Kind)
}

func podSelector(p chaos.Pods) v1alpha1.PodSelector {
	s := v1alpha1.PodSelector{
		Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
			Namespaces: []string{p.Namespace}, LabelSelectors: p.Selector}},
		Mode: v1alpha1.SelectorMode(cmp.Or(p.Mode, "all")),
	}
	if p.Value != 0 {
		s.Value = strconv.Itoa(p.Value)
	}
	return s
}

func network(action v1alpha1.NetworkChaosAction, sel v1alpha1.PodSelector, dur *string, tc v1alpha1.TcParameter) *v1alpha1.NetworkChaos {
	// Direction to: every kind acts on what the pods send.
	return &v1alpha1.NetworkChaos{Spec: v1alpha1.NetworkChaosSpec{PodSelector: sel, Action: action, Duration: dur, TcParameter: tc, Direction: v1alpha1.To}}
}

func stress(sel v1alpha1.PodSelector, dur *string, container string, s *v1alpha1.Stressors) *v1alpha1.StressChaos {
	cs := v1alpha1.ContainerSelector{PodSelector: sel}
	if container != "" {
		cs.ContainerNames = []string{container}
	}
	return &v1alpha1.StressChaos{Spec: v1alpha1.StressChaosSpec{ContainerSelector: cs, Stressors: s, Duration: dur}}
}

func httpChaos(pods chaos.Pods, sel v1alpha1.PodSelector, dur *string, path, method string) (*v1alpha1.HTTPChaos, error) {
	if pods.Port == 0 {
		return nil, fmt.Errorf("HTTPChaos intercepts one container port: set kubernetes.port on service %q", pods.Service)
	}
	hc := &v1alpha1.HTTPChaos{Spec: v1alpha1.HTTPChaosSpec{PodSelector: sel, Port: int32(pods.Port), Duration: dur}}
	if path != "" {
		hc.Spec.Path = &path
	}
	if method != "" {
		hc.Spec.Method = &method
	}
	return hc, nil
}

// allRequests rejects a request ratio: HTTPChaos acts on every matching request.
func allRequests(rate *float64) error {
	if rate != nil && *rate != 1 {
		return fmt.Errorf("rate %g: HTTPChaos acts on every matching request; remove rate (or narrow the fault with path: or method:)", *rate)
	}
	return nil
}

func percent(name string, v float64) error {
	if v < 0 || v > 100 {
		return fmt.Errorf("%s must be 0–100 (%%), got %g", name, v)
	}
	return nil
}

func floatStr(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func duration(d time.Duration) *string {
	if d <= 0 {
		return nil
	}
	s := d.String()
	return &s
}

// netemDuration writes d in one unit, the largest that holds it exactly ("90s",
// not Go's "1m30s"): NetworkChaos's schema takes a number and one unit only.
func netemDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// check runs Chaos Mesh's admission defaulting and validation on a copy of obj, as
// its webhook does in the cluster. obj itself keeps only the fields gauntlet sets,
// and the cluster's own Chaos Mesh webhook defaults the rest: the API module
// gauntlet is built with defaults fields the CRDs clusters run do not declare
// (spec.partitionBehavior in every NetworkChaos), which a server-side apply or a
// strict create would reject.
func check(obj Object) error {
	obj = obj.DeepCopyObject().(Object)
	ctx := context.Background()
	if d, ok := obj.(webhook.CustomDefaulter); ok {
		if err := d.Default(ctx, obj); err != nil {
			return err
		}
	}
	if v, ok := obj.(webhook.CustomValidator); ok {
		if _, err := v.ValidateCreate(ctx, obj); err != nil {
			return err
		}
	}
	return nil
}

// objectName is a DNS-1123 name for the object of fault in scenario, at most 52
// characters so that a run suffix still fits in 63.
func objectName(scenario, fault string) string {
	n := DNSName(scenario + "-" + fault)
	if len(n) > 52 {
		n = strings.TrimRight(n[:52], "-")
	}
	return n
}

// labelValue makes s a valid label value: at most 63 characters of [a-z0-9A-Z._-],
// starting and ending with an alphanumeric.
func labelValue(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	v := b.String()
	if len(v) > 63 {
		v = v[:63]
	}
	return strings.Trim(v, "-_.")
}

// DNSName lower-cases s and replaces what a DNS-1123 name cannot hold with '-'.
func DNSName(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	n := strings.Trim(b.String(), "-")
	if n == "" || n[0] < 'a' {
		n = "g-" + n
	}
	return n
}
