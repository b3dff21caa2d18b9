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
	"fmt"
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

// serviceParams are the parameters of the kinds that take nothing but their service.
type serviceParams struct {
	Service string `yaml:"service"`
}

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

// register gives kind its Chaos Mesh object: m maps a fault of kind, with its pods'
// selector and duration, to the object. Each kind's file calls it from init; it panics
// if kind is registered twice.
func register(kind string, m mapping) {
	if _, dup := mappings[kind]; dup {
		panic("chaosmesh: register called twice for kind " + kind)
	}
	mappings[kind] = m
}

// A mapping builds the Chaos Mesh object of one fault of its kind, before metadata.
// It decodes the kind's own parameters strictly: they mirror the local kind's where
// Chaos Mesh can express them, and what it cannot express (a request ratio for HTTP
// faults, latency on requests only) is rejected, not ignored.
type mapping func(f chaos.ClusterFault, sel v1alpha1.PodSelector, dur *string) (Object, error)

// mappings holds every kind's mapping, by kind; only init writes it.
var mappings = map[string]mapping{}

func build(f chaos.ClusterFault) (Object, error) {
	m, ok := mappings[f.Kind]
	if !ok {
		return nil, fmt.Errorf("%s has no Chaos Mesh counterpart", f.Kind)
	}
	return m(f, podSelector(f.Pods), duration(f.For))
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
