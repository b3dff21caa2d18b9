package chaos

import (
	"time"

	"github.com/gauntletbench/gauntlet/scenarios"
)

// Pods selects the pods of a service that runs on Kubernetes. It is plain data copied
// from the scenario, so that this package needs no Kubernetes code.
type Pods struct {
	// Service is the scenario's name for the service.
	Service   string
	Namespace string
	// Selector is the pods' label selector.
	Selector map[string]string
	// Mode and Value are Chaos Mesh's selector mode ("all", "one", "fixed",
	// "fixed-percent", "random-max-percent") and its count or percentage.
	Mode  string
	Value int
	// Port is the container port HTTP faults intercept; 0 when not given.
	Port int
}

// ClusterFault is one fault of a scenario on a service that runs on Kubernetes.
type ClusterFault struct {
	// Scenario and Run name the run; objects are named and labelled after them.
	Scenario string
	Run      string
	// Name and Kind are the fault's name and kind in the scenario.
	Name string
	Kind string
	// Pods is the target.
	Pods Pods
	// For is how long each occurrence lasts; 0 means one-shot (kill) or until the run
	// reverts it.
	For time.Duration
	// Decode decodes the fault's parameters strictly, as for Factory.
	Decode func(v any) error
}

// A Cluster turns faults on services that run on Kubernetes into objects of a fault
// platform: chaos/chaosmesh builds Chaos Mesh objects. Inject creates the object and
// returns once the platform reports it injected; Revert deletes it and returns once it is
// gone. Without a connection Fault validates the parameters only, so a scenario can be
// checked offline; with one it also has the cluster admit the object, without creating it.
type Cluster interface {
	Fault(f ClusterFault) (Fault, error)
}

// ClusterFaultOf returns the ClusterFault of f when its service runs on Kubernetes, and
// false otherwise. Run names the run (empty when rendering). For is f's own length, or
// for a fault that lasts until the load ends, the rest of the planned load.
func ClusterFaultOf(spec *scenarios.Spec, f scenarios.Fault, run string) (ClusterFault, bool) {
	svc, ok := spec.Service(f.Service)
	if !ok || svc.Kubernetes == nil {
		return ClusterFault{}, false
	}
	k := svc.Kubernetes
	length := time.Duration(f.For)
	if length == 0 && f.Every == 0 && !Instant(f.Kind) {
		// Lasting until the load ends: the object carries the rest of the
		// planned load as its duration, so Chaos Mesh ends it even if
		// gauntlet cannot.
		var planned time.Duration
		for _, st := range spec.Load.Stages {
			planned += time.Duration(st.For)
		}
		if rest := planned - time.Duration(f.At); rest > 0 {
			length = rest
		}
	}
	return ClusterFault{
		Scenario: spec.Name, Run: run, Name: f.Name, Kind: f.Kind, For: length, Decode: f.DecodeParams,
		Pods: Pods{Service: svc.Name, Namespace: k.Namespace, Selector: k.Selector, Mode: k.Mode, Value: k.Value, Port: k.Port},
	}, true
}
