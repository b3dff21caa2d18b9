// Package faultkind describes every fault kind a scenario may use, once: its name, where
// it acts, whether it is instant, the Chaos Mesh object it becomes on Kubernetes (or the
// kind to use there instead) and, for a kind only Chaos Mesh provides, the kind to use on
// a local service. It is plain data and imports nothing of gauntlet, so that scenarios,
// metrics, the engine and both backends read the same list.
//
// Each backend keeps its side of a kind in a file of its own: chaos/local registers how it
// acts on one machine, chaos/chaosmesh its mapping to a Chaos Mesh object; where a backend
// has none, the descriptor names the kind to use there instead. Both parse the kind's
// parameters strictly into their own types, since what each backend can express differs
// (Chaos Mesh's latency has a correlation, the local one a distribution).
//
// The built-in kinds are listed here, so that scenarios and metrics know them (in a fixed
// order, for messages) without linking a backend; a new kind may instead Register its
// descriptor from its chaos/local file.
package faultkind

import "slices"

// Where says what a fault kind acts on when its service runs locally.
type Where int

const (
	// TCPProxy kinds act through the fault proxy in front of the service, in either of
	// its modes (TCP or HTTP).
	TCPProxy Where = iota + 1
	// HTTPProxy kinds act through the fault proxy in HTTP mode: they parse requests.
	HTTPProxy
	// Process kinds act on the process of a service gauntlet started.
	Process
	// Host kinds load the whole host and name no service locally.
	Host
	// Cluster kinds exist only through Chaos Mesh, on services that run on Kubernetes.
	Cluster
)

// Kind describes one fault kind.
type Kind struct {
	// Name is the kind's key in a scenario's fault entry.
	Name string
	// Where is what the kind acts on locally.
	Where Where
	// Instant kinds act in a moment (kill, restart, terminate) rather than over a window:
	// their revert only makes sure the service runs again.
	Instant bool
	// ChaosMesh is the Chaos Mesh object the kind becomes on a Kubernetes service; empty
	// when there is none, and then OnKubernetes is the kind to suggest there.
	ChaosMesh    string
	OnKubernetes string
	// Locally is, for a Cluster kind, the kind to suggest on a local service.
	Locally string
	// Example is the parameters of a small valid fault of the kind besides its
	// service, as a YAML flow mapping, valid on every backend that has the kind.
	Example string
}

// kinds is every fault kind, in the order scenarios list them in messages: the built-in
// ones, then those added with Register. It is only written before main runs.
var kinds = []Kind{
	{Name: "latency", Where: TCPProxy, ChaosMesh: "NetworkChaos delay", Example: `{delay: 100ms}`},
	{Name: "bandwidth", Where: TCPProxy, ChaosMesh: "NetworkChaos bandwidth", Example: `{bytes_per_second: 100000}`},
	{Name: "reset", Where: TCPProxy, ChaosMesh: "HTTPChaos abort", Example: `{}`},
	{Name: "blackhole", Where: TCPProxy, ChaosMesh: "NetworkChaos partition", Example: `{}`},
	{Name: "http_error", Where: HTTPProxy, ChaosMesh: "HTTPChaos abort or replaced status", Example: `{status: 503}`},
	{Name: "http_delay", Where: HTTPProxy, ChaosMesh: "HTTPChaos delay", Example: `{delay: 100ms}`},
	{Name: "slow_close", Where: TCPProxy, OnKubernetes: "latency", Example: `{delay: 100ms}`},
	{Name: "kill", Where: Process, Instant: true, ChaosMesh: "PodChaos pod-kill (container-kill with container:)", Example: `{}`},
	{Name: "pause", Where: Process, OnKubernetes: "pod_failure", Example: `{}`},
	{Name: "terminate", Where: Process, Instant: true, ChaosMesh: "PodChaos pod-kill with a grace period", Example: `{grace: 5s}`},
	{Name: "restart", Where: Process, Instant: true, OnKubernetes: "kill (the pod's controller starts a new one)", Example: `{}`},
	{Name: "cpu_stress", Where: Host, ChaosMesh: "StressChaos cpu", Example: `{workers: 1, load: 50}`},
	{Name: "memory_stress", Where: Host, ChaosMesh: "StressChaos memory", Example: `{bytes: 1048576}`},
	{Name: "cpu_limit", Where: Process, OnKubernetes: "cpu_stress", Example: `{cores: 0.5}`},
	{Name: "memory_limit", Where: Process, OnKubernetes: "memory_stress", Example: `{bytes: 67108864}`},
	{Name: "loss", Where: Cluster, ChaosMesh: "NetworkChaos loss", Locally: "reset or blackhole", Example: `{percent: 10}`},
	{Name: "pod_failure", Where: Cluster, ChaosMesh: "PodChaos pod-failure", Locally: "pause or kill", Example: `{}`},
}

// Register adds a kind to those in the table above, after them. Call it from the init
// of the backend file that implements the kind (chaos/local, which every gauntlet binary
// links), before any scenario is read. It panics if the name is empty or taken, or if
// the descriptor does not say where the kind acts, what to use where it has no
// implementation, or an example.
func Register(k Kind) {
	switch {
	case k.Name == "":
		panic("faultkind: Register with an empty name")
	case slices.ContainsFunc(kinds, func(o Kind) bool { return o.Name == k.Name }):
		panic("faultkind: Register called twice for kind " + k.Name)
	case k.Where < TCPProxy || k.Where > Cluster:
		panic("faultkind: kind " + k.Name + " does not say where it acts")
	case k.ChaosMesh == "" && k.OnKubernetes == "", k.Where == Cluster && k.Locally == "":
		panic("faultkind: kind " + k.Name + " names no alternative where it has no implementation")
	case k.Example == "":
		panic("faultkind: kind " + k.Name + " has no example")
	}
	kinds = append(kinds, k)
}

// All returns every kind, in the order scenarios list them. The caller may modify the
// returned slice.
func All() []Kind { return slices.Clone(kinds) }

// Names returns the names of every kind, in the order of All.
func Names() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	return names
}

// Lookup returns the kind called name, and false if there is none.
func Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(kinds, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return kinds[i], true
}

// Proxied reports whether the kind acts through a fault proxy.
func (k Kind) Proxied() bool { return k.Where == TCPProxy || k.Where == HTTPProxy }

// Local reports whether gauntlet can inject the kind on a service it runs itself.
func (k Kind) Local() bool { return k.Where != Cluster }
